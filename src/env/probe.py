# pydoctor's probe, run inside the interpreter under diagnosis (python -B probe.py OUT ARG).
#
#   probe.py OUT MODULE [SECONDS]  import MODULE, record what happened (see watch_for_hang)
#   probe.py OUT --facts           record the interpreter's facts only
#
# The record is JSON written to the file OUT, never to stdout: sitecustomize and the package's
# own import code may print. Before importing, a "started" record is written, so a process that
# dies during the import (a signal, os._exit) is told apart from one that never started.
# Only the standard library is used, and nothing that the import under test could need first.
import os
import sys
import time

PROBE_VERSION = 1
LD_LIBRARY_PATH = os.environ.get("LD_LIBRARY_PATH")
TEXT_LIMIT = 64 * 1024


def clean(value):
    """Make every string valid UTF-8 (paths may hold surrogate escapes) for the JSON reader."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def write_record(out, record):
    import json

    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(clean(record), f)
    os.replace(tmp, out)


def valid_module_name(name):
    if not name or len(name) > 200:
        return False
    for part in name.split("."):
        if not part or not (part[0] == "_" or part[0].isascii() and part[0].isalpha()):
            return False
        if not all(c == "_" or c.isascii() and c.isalnum() for c in part):
            return False
    return True


def proc_exe():
    try:
        return os.readlink("/proc/self/exe")
    except OSError:
        return None


def facts():
    """What the diagnosis needs to know about this interpreter."""
    import site

    try:
        site_packages = list(site.getsitepackages())
    except Exception:
        site_packages = []
    try:
        user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    except Exception:
        user_site = None
    info = sys.version_info
    return {
        "executable": sys.executable,
        "proc_exe": proc_exe(),
        "version": "%d.%d.%d" % (info[0], info[1], info[2]),
        "version_full": sys.version,
        "implementation": sys.implementation.name,
        "prefix": sys.prefix, "prefix_has_pyvenv_cfg": prefix_has_pyvenv_cfg(),
        "base_prefix": sys.base_prefix,
        "exec_prefix": sys.exec_prefix,
        "path": list(sys.path),
        "site_packages": site_packages,
        "user_site": user_site,
        "ld_library_path": LD_LIBRARY_PATH,
        "cwd": os.getcwd(),
        "soabi": sysconfig_var("SOABI"),
        "ldlibrary": sysconfig_var("LDLIBRARY"),
        "libdir": sysconfig_var("LIBDIR"),
    }


def sysconfig_var(name):
    try:
        import sysconfig

        value = sysconfig.get_config_var(name)
        return value if isinstance(value, str) else None
    except Exception:
        return None


def loaded_objects():
    """ELF files mapped into this process, in map order, each once: the already-loaded set."""
    seen = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) < 6:
                    continue
                path = fields[5].rstrip("\n")
                if path.startswith("/") and path not in seen:
                    seen.append(path)
    except OSError:
        return []
    elf = []
    for path in seen:
        try:
            with open(path, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    elf.append(path)
        except OSError:
            pass
    return elf


def type_name(exc):
    t = type(exc)
    module = getattr(t, "__module__", None)
    qualname = getattr(t, "__qualname__", t.__name__)
    if module in (None, "builtins", "__main__"):
        return qualname
    return module + "." + qualname


def message_of(exc):
    try:
        return str(exc)
    except Exception as e:  # a broken __str__ must not break the record
        return "<str() failed: %s>" % type(e).__name__


def exception_chain(exc):
    """Outermost first, following __cause__, else __context__ unless suppressed."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        if exc.__cause__ is not None:
            exc = exc.__cause__
        elif exc.__context__ is not None and not exc.__suppress_context__:
            exc = exc.__context__
        else:
            exc = None
    return chain


def link_of(exc):
    import traceback

    frames = []
    try:
        for fs in traceback.extract_tb(exc.__traceback__):
            frames.append({"file": fs.filename, "line": fs.lineno, "function": fs.name})
    except Exception:
        pass
    link = {"type": type_name(exc), "message": message_of(exc), "frames": frames}
    if isinstance(exc, ImportError):
        # CPython sets these when an extension module fails to load: the file it was trying.
        link["import_name"] = getattr(exc, "name", None)
        link["import_path"] = getattr(exc, "path", None)
    return link


def original_text(exc):
    import traceback

    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        return None
    if len(text) > TEXT_LIMIT:
        half = TEXT_LIMIT // 2
        text = text[:half] + "\n[... truncated ...]\n" + text[-half:]
    return text


def spec_walk(module):
    """Where each part of MODULE lives, found by the path finder alone (nothing is imported)."""
    from importlib.machinery import PathFinder

    parts, search, name = [], None, ""
    for part in module.split("."):
        name = part if not name else name + "." + part
        entry = {"name": name, "origin": None, "search_locations": None, "found": False}
        parts.append(entry)
        try:
            spec = PathFinder.find_spec(name, search)
        except Exception as e:
            entry["error"] = message_of(e)
            break
        if spec is None:
            if name in sys.builtin_module_names:
                entry.update(found=True, origin="built-in")
            break
        locations = spec.submodule_search_locations
        entry.update(
            found=True,
            origin=spec.origin,
            search_locations=list(locations) if locations is not None else None,
        )
        if locations is None:
            break
        search = list(locations)
    return parts


def probe_import(out, module, dump_after):
    record = {"probe_version": PROBE_VERSION, "mode": "import", "module": module}
    record["facts"] = facts()
    record["phase"] = "started"
    write_record(out, record)
    stack = watch_for_hang(out, dump_after)
    start = time.perf_counter()
    try:
        __import__(module)
        record["ok"] = True
        record["chain"] = []
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from an import are failures
        record["ok"] = False
        record["chain"] = [link_of(e) for e in reversed(exception_chain(exc))]
        record["original_text"] = original_text(exc)
    record["import_seconds"] = time.perf_counter() - start
    stop_watching(stack)
    record["loaded_objects"] = loaded_objects()
    try:
        record["spec"] = spec_walk(module)
    except Exception:
        record["spec"] = []
    record["phase"] = "done"
    write_record(out, record)


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: probe.py OUT MODULE [SECONDS] | OUT --facts\n")
        return 2
    out, what = sys.argv[1], sys.argv[2]
    try:
        dump_after = float(sys.argv[3]) if len(sys.argv) == 4 else None
    except ValueError:
        dump_after = None
    # Run as `python probe.py`, sys.path[0] is the probe's private directory; the user's own
    # `python -c "import x"` has '' (the working directory) there instead.
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and sys.path[0] == here:
        sys.path[0] = ""
    if what == "--facts":
        record = {"probe_version": PROBE_VERSION, "mode": "facts", "facts": facts()}
        record.update(phase="done", ok=True, loaded_objects=loaded_objects())
        write_record(out, record)
        return 0
    if not valid_module_name(what):
        sys.stderr.write("probe.py: invalid module name\n")
        return 2
    add_site_dirs()
    probe_import(out, what, dump_after)
    return 0


def prefix_has_pyvenv_cfg():
    """A venv has its pyvenv.cfg at sys.prefix. An older nixpkgs withPackages env moves
    sys.prefix too (its sitecustomize does), and is no venv. (Defined here, below probe_import,
    so that the line of its __import__ stays where it is.)"""
    return os.path.isfile(os.path.join(sys.prefix, "pyvenv.cfg"))


def add_site_dirs():
    """PYDOCTOR_PROBE_SITE_DIRS (os.pathsep-separated): site dirs added after the python's own,
    as site adds a venv's base site-packages or a Nix sitecustomize adds NIX_PYTHONPATH. pydoctor
    sets it to check a fix that makes more packages visible. Removed before the import runs."""
    dirs = os.environ.pop("PYDOCTOR_PROBE_SITE_DIRS", None)
    if not dirs:
        return
    import site

    for d in dirs.split(os.pathsep):
        if d:
            site.addsitedir(d)


# Below probe_import: the line of its __import__ shows in every traceback the probe records,
# and moving it would change every report.
def watch_for_hang(out, seconds):
    """An import still running after SECONDS has every thread's stack written to OUT.stack by
    faulthandler's watchdog thread (C code: it needs neither the GIL nor the import's help), so
    that a hang killed at the time limit still says where it was. The open file is returned, to
    be kept open until the watch is cancelled."""
    if seconds is None:
        return None
    try:
        import faulthandler

        stack = open(out + ".stack", "w", encoding="utf-8")
        faulthandler.dump_traceback_later(seconds, file=stack)
        return stack
    except Exception:
        return None


def stop_watching(stack):
    if stack is None:
        return
    try:
        import faulthandler

        faulthandler.cancel_dump_traceback_later()
        stack.close()
    except Exception:
        pass


if __name__ == "__main__":
    sys.exit(main())
