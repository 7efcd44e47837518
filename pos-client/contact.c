/* The till's last contact with the service, kept as the modification time of $STATE/contact. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pos/contact.h"
#include "pos/state.h"

enum cpn_err pos_contact_touch(const char *state_dir)
{
    char path[4096];
    if (pos_state_mkdir(state_dir) != CPN_OK ||
        pos_state_path(path, sizeof path, state_dir, POS_CONTACT_FILE) != CPN_OK)
        return CPN_ERR_IO;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return CPN_ERR_IO;
    int rc = futimens(fd, NULL);
    int e = errno;
    close(fd);
    errno = e;
    return rc == 0 ? CPN_OK : CPN_ERR_IO;
}

enum cpn_err pos_contact_last(const char *state_dir, time_t *when)
{
    char path[4096];
    struct stat st;
    if (pos_state_path(path, sizeof path, state_dir, POS_CONTACT_FILE) != CPN_OK)
        return CPN_ERR_IO;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? CPN_ERR_NOT_FOUND : CPN_ERR_IO;
    *when = st.st_mtime;
    return CPN_OK;
}
