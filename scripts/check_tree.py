#!/usr/bin/env python3
"""The house rules scripts/check holds the tree to, beyond clang-format and shellcheck.

  check_tree.py names     ROOT          a header names the file(s) that define what it declares
  check_tree.py contracts ROOT          every prototype in a header follows its contract comment
  check_tree.py banned    ROOT          no banned call (sprintf strcpy strcat strncpy gets atoi strtok)
  check_tree.py cycles    BUILD         no two files of service/ or lib/ call each other (a cycle)
  check_tree.py unused    BUILD         global functions nothing else calls (a report)

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
# include/coupon/ is libcoupon's public face; its sources are in lib/.
COMPONENTS = [
    (["include/coupon", "lib"], "lib"),
    (["service"], "service"),
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
    libcoupon (lib/) and coupond (service/)."""
    out = {}
    dirs = [("lib", os.path.join(build, "lib/CMakeFiles/coupon.dir")),
            ("service", os.path.join(build, "service/CMakeFiles/svc.dir")),
            ("service", os.path.join(build, "service/CMakeFiles/coupond.dir"))]
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
    """No cycle among the files of service/ and lib/: a helper file never calls back into a
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
    """Global functions of service/ and lib/ that no other object file refers to (candidates
    to make static, or to remove). The tests' and pos-client's objects count as users."""
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


def main():
    checks = {"names": names, "contracts": contracts, "banned": banned, "cycles": cycles,
              "unused": unused}
    if len(sys.argv) != 3 or sys.argv[1] not in checks:
        sys.exit(__doc__)
    bad = checks[sys.argv[1]](sys.argv[2])
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
