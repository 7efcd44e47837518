#!/usr/bin/env python3
"""The house rules scripts/check holds the tree to, beyond clang-format and shellcheck.

  check_tree.py names     ROOT          a header names the file(s) that define what it declares
  check_tree.py contracts ROOT          every prototype in a header follows its contract comment
  check_tree.py banned    ROOT          no banned call (sprintf strcpy strcat strncpy gets atoi strtok)
  check_tree.py cycles    BUILD         no two files of service/, lib/ or pos-client/ call each other
                                        (a cycle)
  check_tree.py unused    BUILD         global functions nothing else calls (a report)
  check_tree.py includes  ROOT          #include lines of service/, lib/ and pos-client/ whose header the file
                                        uses nothing of (project headers by their ctags, a few
                                        C library headers by a list of their names)
  check_tree.py seam      ROOT          the seam between SQL and C (STYLE.md "SQL"): libpq only in
                                        service/db*.c; no printf family there (parameters go
                                        through db_typed.c's typed helpers, and only db.c and
                                        db_typed.c run statements with raw values); no other
                                        file of service/ compares a status word as a string
                                        (strcmp against a word); the vocabulary of
                                        sql/functions/0010_status_word.sql and service/db_words.c
                                        is the same list, and every status a stored function
                                        assigns a literal is one of its words

ROOT is the source tree, BUILD a build directory of it (the cycles and unused checks read the
object files' symbols with nm). Each prints one line per finding, "FILE:LINE: what", and exits 1
when it found any. Headers and prototypes are read with universal-ctags.
"""
import collections
import os
import re
import subprocess
import sys

# What ctags must not take for a name (attributes written as macros in front of a prototype).
CTAGS_IGNORE = "CPN_MUST_CHECK"

# The components whose headers must name their files: (header directories, source directory).
# include/coupon/ is libcoupon's public face; its sources are in lib/. pos-client's headers are
# in pos-client/pos/ (included as "pos/...").
COMPONENTS = [
    (["include/coupon", "lib"], "lib"),
    (["service"], "service"),
    (["pos-client/pos"], "pos-client"),
]

# Headers that gather what a family of files defines, and the family. handlers.h is the
# route table's list of handlers, one file per resource: service/http_<resource>.c.
FAMILY_HEADERS = {"service/handlers.h": "http_"}

BANNED = ("sprintf", "strcpy", "strcat", "strncpy", "gets", "atoi", "strtok")

SKIP_DIRS = {".git", "var", "certs", "debian", "node_modules"}


def c_files(root, exts, dirs=("include", "lib", "service", "pos-client", "tests")):
    """Paths (relative to ROOT) of the files ending in EXTS under DIRS, build trees left out."""
    out = []
    for top in dirs:
        for base, subdirs, files in os.walk(os.path.join(root, top)):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("build"))
            for f in sorted(files):
                if f.endswith(exts):
                    out.append(os.path.relpath(os.path.join(base, f), root))
    return out


def ctags(root, paths, kinds):
    """(name, kind, path, line) of the tags of KINDS (ctags C kind letters) in PATHS."""
    if not paths:
        return []
    cmd = ["ctags", "-o", "-", f"--kinds-C={kinds}", "--fields=+nK", "--extras=-F",
           "-I", CTAGS_IGNORE, "--language-force=C"] + paths
    text = subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout
    tags = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or parts[0].startswith("!_"):
            continue
        fields = dict(p.split(":", 1) for p in parts[3:] if ":" in p)
        kind = parts[3] if ":" not in parts[3] else fields.get("kind", "")
        tags.append((parts[0], kind, parts[1], int(fields.get("line", "0"))))
    return tags


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def names(root):
    """A header S.h (or S_internal.h) declares only what S.c or a file S_*.c of its component
    defines: whoever greps for a symbol finds it where the header's name says."""
    bad = []
    for header_dirs, src_dir in COMPONENTS:
        sources = [p for p in c_files(root, (".c",), (src_dir,)) if os.path.dirname(p) == src_dir]
        defined = collections.defaultdict(set)
        for name, kind, path, _ in ctags(root, sources, "fv"):
            if kind in ("function", "variable"):
                defined[name].add(path)
        headers = []
        for d in header_dirs:
            headers += [p for p in c_files(root, (".h",), (d,)) if os.path.dirname(p) == d]
        for name, kind, path, line in ctags(root, headers, "px"):
            if kind not in ("prototype", "externvar"):
                continue
            where = defined.get(name, set())
            if not where:
                continue  # declared, defined nowhere in the component: the unused check's part
            s = stem(path)
            if s.endswith("_internal"):
                s = s[: -len("_internal")]
            family = FAMILY_HEADERS.get(path)
            ok = [w for w in where
                  if (family and stem(w).startswith(family))
                  or stem(w) == s or stem(w).startswith(s + "_")]
            if not ok:
                files = ", ".join(sorted(where))
                bad.append(f"{path}:{line}: {name} is defined in {files}, which {path} does not name")
    return bad


def declaration_start(lines, i):
    """The index of the first line of the declaration whose name is on line I (0-based)."""
    while i > 0:
        prev = lines[i - 1].rstrip()
        if (prev == "" or prev.endswith((";", "}", "{", "*/")) or prev.lstrip().startswith(("#", "//"))):
            return i
        i -= 1
    return i


def contracts(root):
    """Every prototype (and extern variable) in a header comes right after a comment: its
    contract. Prototypes on consecutive lines may share one comment (a family of handlers)."""
    bad = []
    headers = c_files(root, (".h",))
    by_file = collections.defaultdict(list)
    for name, kind, path, line in ctags(root, headers, "px"):
        if kind in ("prototype", "externvar"):
            by_file[path].append((line, name))
    for path, decls in sorted(by_file.items()):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for line, name in sorted(decls):
            i = declaration_start(lines, line - 1)
            # Walk up over the declarations directly above (a block sharing one comment).
            while i > 0 and lines[i - 1].rstrip().endswith(";") and not lines[i - 1].lstrip().startswith("#"):
                i = declaration_start(lines, i - 1)
            above = lines[i - 1].strip() if i > 0 else ""
            if not (above.endswith("*/") or above.startswith("//")):
                bad.append(f"{path}:{line}: {name} has no contract comment right above it")
    return bad


def strip_comments_and_strings(text):
    """TEXT with comments, string and character literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else " " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def banned(root):
    """No call of a banned function in any C file (comments and strings do not count)."""
    bad = []
    pattern = re.compile(r"(?<![\w.>])(" + "|".join(BANNED) + r")\s*\(")
    for path in c_files(root, (".c", ".h")):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = strip_comments_and_strings(f.read())
        for m in pattern.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{path}:{line}: {m.group(1)}() is banned (STYLE.md)")
    return bad


def object_symbols(build):
    """{source path: (defined globals, undefined references)} of the object files of
    libcoupon (lib/), coupond (service/) and pos-client (pos-client/: its library and its
    program's own files)."""
    out = {}
    dirs = [("lib", os.path.join(build, "lib/CMakeFiles/coupon.dir")),
            ("service", os.path.join(build, "service/CMakeFiles/svc.dir")),
            ("service", os.path.join(build, "service/CMakeFiles/coupond.dir")),
            ("pos-client", os.path.join(build, "pos-client.d/CMakeFiles/pos.dir")),
            ("pos-client", os.path.join(build, "pos-client.d/CMakeFiles/pos-client.dir"))]
    for src_dir, obj_dir in dirs:
        if not os.path.isdir(obj_dir):
            sys.exit(f"check_tree: no object files in {obj_dir}: build {build} first")
        for f in sorted(os.listdir(obj_dir)):
            if not f.endswith(".c.o"):
                continue
            text = subprocess.run(["nm", os.path.join(obj_dir, f)], check=True,
                                  capture_output=True, text=True).stdout
            defs, refs = set(), set()
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == "U":
                    refs.add(parts[1])
                elif len(parts) == 3 and parts[1] in "TDBRCVW":
                    defs.add(parts[2])
            out[f"{src_dir}/{f[:-2]}"] = (defs, refs)
    return out


def cycles(build):
    """No cycle among the files of service/, lib/ and pos-client/: a helper file never calls back into a
    file that uses it (an edge A -> B when A refers to a symbol B defines)."""
    syms = object_symbols(build)
    owner = {}
    for path, (defs, _) in syms.items():
        for d in defs:
            owner[d] = path
    edges = collections.defaultdict(dict)
    for path, (_, refs) in syms.items():
        for r in sorted(refs):
            if r in owner and owner[r] != path:
                edges[path].setdefault(owner[r], r)
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(syms):
        if v not in index:
            visit(v)
    bad = []
    for comp in sccs:
        members = set(comp)
        calls = [f"{a} -> {b} ({edges[a][b]})" for a in comp for b in sorted(edges.get(a, {}))
                 if b in members]
        bad.append(f"{comp[0]}:1: call cycle among {', '.join(comp)}: " + "; ".join(calls))
    return bad


def unused(build):
    """Global functions of service/, lib/ and pos-client/ that no other object file refers to
    (candidates to make static, or to remove). The tests' objects count as users."""
    syms = object_symbols(build)
    users = collections.Counter()
    for path, (_, refs) in syms.items():
        for r in refs:
            users[r] += 1
    for top in ("pos-client.d", "tests"):
        for base, _, files in os.walk(os.path.join(build, top)):
            for f in files:
                if f.endswith(".c.o"):
                    text = subprocess.run(["nm", "-u", os.path.join(base, f)], check=True,
                                          capture_output=True, text=True).stdout
                    for line in text.splitlines():
                        users[line.split()[-1]] += 1
    bad = []
    for path, (defs, _) in sorted(syms.items()):
        for d in sorted(defs):
            if users[d] == 0 and d != "main":
                bad.append(f"{path}:1: {d} is defined but nothing else refers to it")
    return bad


# What a file uses a C library header for, by name (the headers with short, stable lists).
LIBC_NAMES = {
    "stdio.h": r"\b(s?n?printf|v?f?printf|vsnprintf|dprintf|FILE|fopen|fclose|fdopen|fputs|puts|"
               r"fputc|putchar|fgets|getline|fread|fwrite|fflush|fseek|ftell|rewind|ferror|feof|"
               r"perror|stderr|stdout|stdin|popen|pclose|sscanf|fscanf|fileno|rename|remove|EOF|"
               r"BUFSIZ|setvbuf|getc|fgetc|ungetc|tmpfile)\b",
    "string.h": r"\b(mem\w+|str\w+)\s*\(",
    "stdlib.h": r"\b(malloc|calloc|realloc|free|exit|_Exit|abort|getenv|setenv|unsetenv|strto\w+|"
                r"qsort|bsearch|abs|labs|llabs|atexit|mkstemp|mkdtemp|EXIT_\w+|rand|srand|"
                r"system|realpath)\b",
    "errno.h": r"\b(errno|E[A-Z0-9]+)\b",
    "inttypes.h": r"\b(PRI\w+|SCN\w+|strto[iu]max|imaxabs)\b",
    "time.h": r"\b(time_t|time|clock_gettime|CLOCK_\w+|struct timespec|gmtime_r|localtime_r|"
              r"strftime|timegm|mktime|nanosleep|difftime|struct tm|timespec)\b",
    "unistd.h": r"\b(read|write|close|unlink|rmdir|getpid|sysconf|_SC_\w+|fsync|lseek|pipe|dup2?|"
                r"fork|execv\w*|access|usleep|sleep|link|chdir|getcwd|isatty|STDERR_FILENO|"
                r"STDOUT_FILENO|STDIN_FILENO|ssize_t|pread|pwrite|ftruncate|getuid|geteuid|"
                r"optind|opterr|optarg|gettid)\b",
    "pthread.h": r"\bpthread_\w+|PTHREAD_\w+",
    "fcntl.h": r"\b(open|openat|fcntl|O_[A-Z]+|F_[A-Z]+|AT_\w+)\b",
    "limits.h": r"\b([A-Z]+_(MAX|MIN)|CHAR_BIT|PATH_MAX|NAME_MAX)\b",
    "stdbool.h": r"\b(bool|true|false)\b",
    "stdint.h": r"\b(u?int(8|16|32|64|ptr|max)_t|U?INT(8|16|32|64|PTR|MAX)_(MAX|MIN|C)|SIZE_MAX)\b",
    "stdarg.h": r"\bva_(list|start|end|arg|copy)\b",
    "ctype.h": r"\b(is(alnum|alpha|digit|space|upper|lower|print|xdigit|punct|cntrl|graph)|"
               r"to(upper|lower))\b",
    "signal.h": r"\b(sig\w+|SIG[A-Z]+|kill|raise|sigset_t|struct sigaction)\b",
    "math.h": r"\b(sqrt|pow|exp|ldexp|frexp|log|log10|fabs|floor|ceil|round|lround|llround|erf|erfc|"
              r"isnan|isinf|INFINITY|NAN|HUGE_VAL|M_\w+|fmin|fmax|trunc|nan|lgamma|tgamma)\b",
    "stdatomic.h": r"\batomic_\w+|ATOMIC_\w+|_Atomic",
    "sys/stat.h": r"\b(stat|fstat|lstat|mkdir|chmod|fchmod|umask|S_I\w+|mode_t|struct stat)\b",
    "dirent.h": r"\b(opendir|readdir|closedir|scandir|alphasort|DIR|struct dirent)\b",
}


def includes(root):
    """#include lines of service/, lib/ and pos-client/ C files whose header the file uses
    nothing of."""
    bad = []
    sources = [p for p in c_files(root, (".c",), ("service", "lib", "pos-client"))]
    headers = {os.path.basename(h): h for h in c_files(root, (".h",), ("service", "lib"))}
    headers.update({"coupon/" + os.path.basename(h): h
                    for h in c_files(root, (".h",), ("include/coupon",))})
    headers.update({"pos/" + os.path.basename(h): h
                    for h in c_files(root, (".h",), ("pos-client/pos",))})
    declared = collections.defaultdict(set)
    kinds = "defgmpstuvx"  # not members, locals, parameters or header guards
    for name, kind, path, _ in ctags(root, sorted(set(headers.values())), kinds):
        if not re.fullmatch(r"[A-Z0-9_]+_H", name):
            declared[path].add(name)
    include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
    for path in sources:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        body = strip_comments_and_strings(include.sub("", text))
        for m in include.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            own = (path.replace(".c", ".h"),
                   os.path.join(os.path.dirname(path), "pos", stem(path) + ".h"))
            if name in headers and headers[name] not in own:
                names = declared.get(headers[name], set())
                if names and not any(re.search(r"\b" + re.escape(n) + r"\b", body) for n in names):
                    bad.append(f"{path}:{line}: nothing of {name} is used")
            elif name in LIBC_NAMES and not re.search(LIBC_NAMES[name], body):
                bad.append(f"{path}:{line}: nothing of <{name}> is used")
    return bad


def strip_comments(text):
    """TEXT with C comments blanked (newlines kept), string literals left as they are."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(text, open_paren):
    """The top-level arguments of the call whose "(" is at OPEN_PAREN in TEXT (comments and
    strings already blanked), as stripped strings."""
    depth, start, args = 0, open_paren + 1, []
    for i in range(open_paren, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i].strip())
                return args
        elif text[i] == "," and depth == 1:
            args.append(text[start:i].strip())
            start = i + 1
    return args


VOCABULARY_SQL = "sql/functions/0010_status_word.sql"
VOCABULARY_C = "service/db_words.c"


def vocabulary_sql(root):
    """The words of the domain status_word's CHECK list, in order (none without the file)."""
    if not os.path.exists(os.path.join(root, VOCABULARY_SQL)):
        return []
    with open(os.path.join(root, VOCABULARY_SQL), encoding="utf-8") as f:
        text = re.sub(r"--[^\n]*", "", f.read())
    m = re.search(r"CHECK\s*\(\s*VALUE\s+IN\s*\((.*?)\)\s*\)", text, re.S)
    return re.findall(r"'([a-z_]+)'", m.group(1)) if m else []


def vocabulary_c(root):
    """(enum name, word) of the table in db_words.c, in order (none without the file)."""
    if not os.path.exists(os.path.join(root, VOCABULARY_C)):
        return []
    with open(os.path.join(root, VOCABULARY_C), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r'\[(DBW_[A-Z_]+)\]\s*=\s*\{\s*"([a-z_]*)"', text)


def seam(root):
    """The seam between SQL and C holds (see the module's docstring)."""
    bad = []
    files = c_files(root, (".c", ".h"), ("include", "lib", "service", "pos-client"))
    is_db = lambda p: re.fullmatch(r"service/db(_\w+)?\.[ch]", p) is not None
    printf_family = re.compile(r"(?<![\w.>])(v?s?n?printf|v?asprintf|strfmon|strftime)\s*\(")
    raw_run = re.compile(r"(?<![\w.>])(db_query|db_query_retry)\s*\(")
    pq_params = re.compile(r"(?<![\w.>])(PQexecParams|PQsendQueryParams|PQexecPrepared|"
                           r"PQsendQueryPrepared)\s*\(")
    libpq = re.compile(r"#\s*include\s*[<\"]libpq-fe\.h[>\"]|\b(PGresult|PGconn|PGcancel|"
                       r"PQ[a-z]\w*)\b")
    words = set(vocabulary_sql(root))
    strcmp = re.compile(r"(?<![\w.>])(str(?:n|case|ncase)?cmp)\s*\(")
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            raw = f.read()
        text = strip_comments_and_strings(raw)
        # libpq's header, and its types and calls, only in service/db*.c
        if not is_db(path):
            for m in libpq.finditer(strip_comments(raw)):
                line = raw.count("\n", 0, m.start()) + 1
                what = "includes libpq-fe.h" if m.group(1) is None else f"uses libpq's {m.group(1)}"
                bad.append(f"{path}:{line}: {what}: libpq stays inside service/db*.c (db_internal.h)")
            # no status word compared as a string (the answers are decoded once, in db*.c)
            if path.startswith("service/"):
                kept = strip_comments(raw)
                for m in strcmp.finditer(kept):
                    args = call_args(kept, kept.index("(", m.start()))
                    for a in args[:2]:
                        lit = re.fullmatch(r'"([a-z_]+)"', a)
                        if lit and lit.group(1) in words:
                            line = raw.count("\n", 0, m.start()) + 1
                            bad.append(f"{path}:{line}: compares the status word '{lit.group(1)}' "
                                       "as a string: switch on enum db_word (db_words.h)")
            continue
        for m in printf_family.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if path == "service/db_migrate.c" and m.group(1) == "fprintf":
                continue  # coupond migrate's messages on stderr, no SQL
            bad.append(f"{path}:{line}: {m.group(1)}() in the database layer: parameters are "
                       "typed (db_param_*), numbers written by db_put_i64")
        if path in ("service/db.c", "service/db_typed.c") or path.endswith(".h"):
            continue  # the raw runner and the encoder themselves
        for m in raw_run.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{path}:{line}: {m.group(1)}() with raw values: call db_select_one, "
                       "db_select_rows or db_execute with typed parameters")
        for m in pq_params.finditer(text):
            args = call_args(text, text.index("(", m.start()))
            values = args[4] if len(args) > 4 else ""
            if not re.fullmatch(r"\w+(\.|->)values", values):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path}:{line}: {m.group(1)}() with values not made by "
                           "db_values_encode")
    sql_words, c_words = vocabulary_sql(root), vocabulary_c(root)
    if not sql_words or not c_words:
        bad.append(f"{VOCABULARY_SQL}:1: no vocabulary of status words (and {VOCABULARY_C})")
    c_only = [w for _, w in c_words if w and w not in sql_words]
    sql_only = [w for w in sql_words if w not in {w for _, w in c_words}]
    for w in c_only:
        bad.append(f"{VOCABULARY_C}:1: '{w}' is not a word of {VOCABULARY_SQL}")
    for w in sql_only:
        bad.append(f"{VOCABULARY_SQL}:1: '{w}' has no entry in {VOCABULARY_C}")
    for name, w in c_words:
        if w and name != "DBW_" + w.upper():
            bad.append(f"{VOCABULARY_C}:1: {name} spells '{w}' (DBW_{w.upper()} expected)")
    if len(sql_words) != len(set(sql_words)):
        bad.append(f"{VOCABULARY_SQL}:1: a word is listed twice")
    # a status assigned a literal in a stored function is a word of the vocabulary
    fdir = os.path.join(root, "sql/functions")
    for name in sorted(os.listdir(fdir)) if os.path.isdir(fdir) else []:
        if not name.endswith(".sql"):
            continue
        with open(os.path.join(fdir, name), encoding="utf-8") as f:
            sql = re.sub(r"--[^\n]*", "", f.read())
        for m in re.finditer(r"\b(status|reason)\s*:=\s*'([^']*)'", sql):
            if m.group(2) not in sql_words:
                line = sql.count("\n", 0, m.start()) + 1
                bad.append(f"sql/functions/{name}:{line}: '{m.group(2)}' is not a status word "
                           f"({VOCABULARY_SQL})")
    return bad


def main():
    checks = {"names": names, "contracts": contracts, "banned": banned, "cycles": cycles,
              "unused": unused, "includes": includes, "seam": seam}
    if len(sys.argv) != 3 or sys.argv[1] not in checks:
        sys.exit(__doc__)
    bad = checks[sys.argv[1]](sys.argv[2])
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
