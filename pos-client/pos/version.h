/* The pos-client's version, shown by --version and sent as its User-Agent; keep it equal to
 * the project() version in the top-level CMakeLists.txt. */
#ifndef POS_VERSION_H
#define POS_VERSION_H

#define POS_VERSION "0.1.0"

#endif
