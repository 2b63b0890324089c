"""`er neo4j install`: resolve the server, APOC, GDS and Browser jars with Maven into the server home."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from ...errors import GraphError
from .config import Progress, ServerConfig, ServerPaths
from .home import check_tool, locked, read_json, running_pid, write_json

INSTALL_LAYOUT = 1  # bump when install.json or the folder layout changes


# groupIds whose jars have no business on a server's class path
TEST_GROUPS = ("junit", "org.junit", "org.assertj", "org.mockito", "org.hamcrest", "org.opentest4j")


def install(config: ServerConfig, progress: Progress | None = None, force: bool = False) -> ServerPaths:
    """Resolve lib/ and plugins/ with Maven into the server home. Fast no-op when already complete."""
    paths = ServerPaths.of(config)
    say = progress or (lambda _msg: None)
    if not force and is_installed(config):
        return paths
    paths.home.mkdir(parents=True, exist_ok=True)
    with locked(paths):
        if running_pid(paths) is not None:
            raise GraphError(f"the managed Neo4j in {paths.home} is running; stop it before reinstalling")
        if not force and is_installed(config):
            return paths
        check_tool([config.maven, "--version"], "Maven (mvn)", "apt-get install maven")
        staging = paths.home / ".staging"
        shutil.rmtree(staging, ignore_errors=True)
        started = time.monotonic()
        gds_ok = _run_maven(config, paths, staging, say)
        say("checking the resolved jars")
        lib_files, plugin_files, dropped = _tidy(staging, gds_ok)
        for name in ("lib", "plugins", "maven"):
            target = paths.home / name
            shutil.rmtree(target, ignore_errors=True)
            (staging / name).rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        manifest = {
            "layout": INSTALL_LAYOUT,
            "neo4j": config.versions.neo4j,
            "apoc": config.versions.apoc,
            "gds": config.versions.gds if gds_ok else None,
            "browser": config.versions.browser,
            "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "maven_seconds": round(time.monotonic() - started, 1),
            "lib": lib_files,
            "plugins": plugin_files,
            "dropped_plugin_jars": dropped,
        }
        write_json(paths.install_file, manifest)
    return paths


def is_installed(config: ServerConfig) -> bool:
    """True when install.json matches the pom's versions and every jar it lists is present."""
    paths = ServerPaths.of(config)
    manifest = read_json(paths.install_file)
    if not manifest or manifest.get("layout") != INSTALL_LAYOUT:
        return False
    v = config.versions
    if (manifest.get("neo4j"), manifest.get("apoc"), manifest.get("browser")) != (v.neo4j, v.apoc, v.browser):
        return False
    if manifest.get("gds") not in (None, v.gds):
        return False
    try:
        present_lib = set(os.listdir(paths.lib))
        present_plugins = set(os.listdir(paths.plugins))
    except FileNotFoundError:
        return False
    return set(manifest.get("lib", ())) <= present_lib and set(manifest.get("plugins", ())) <= present_plugins


def _run_maven(config: ServerConfig, paths: ServerPaths, staging: Path, say: Progress) -> bool:
    """Run the repo's Maven project into staging/; returns whether GDS resolved. Raises if server/APOC failed."""
    modules = ":er-neo4j-server,:er-neo4j-apoc" + (",:er-neo4j-gds" if config.gds else "")
    # Maven writes target/ folders beside the poms: build a copy in the server home, never the package itself.
    project = paths.home / "maven-project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(config.pom.parent, project, ignore=shutil.ignore_patterns("target"))
    pom = project / config.pom.name
    cmd = [config.maven, "-f", str(pom), "--batch-mode", "--fail-at-end", "-pl", modules,
           "package", f"-Der.neo4j.home={staging}"]  # fmt: skip
    building = re.compile(r"Building er-neo4j-(\w+) .*\[(\d+)/(\d+)\]")
    module, downloads = "project", 0
    say("Maven: starting")
    with paths.install_log.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            cwd=project,
        )  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if m := building.search(line):
                module = f"{m.group(1)} ({m.group(2)}/{m.group(3)})"
            elif line.startswith("Downloaded from"):
                downloads += 1
            else:
                continue
            say(f"Maven: resolving {module}, {downloads} files downloaded")
        code = proc.wait()
    listed = {m: (staging / "maven" / f"er-neo4j-{m}.txt").is_file() for m in ("server", "apoc", "gds")}
    if code != 0 and not (listed["server"] and listed["apoc"]):
        errors = [ln.rstrip() for ln in paths.install_log.read_text(encoding="utf-8").splitlines()
                  if ln.startswith("[ERROR]") and ln.strip() != "[ERROR]"]  # fmt: skip
        detail = "; ".join(errors[:3]) or f"exit code {code}"
        raise GraphError(f"Maven could not resolve the Neo4j server: {detail} (full log: {paths.install_log})")
    if config.gds and not listed["gds"]:
        say(f"GDS could not be resolved; continuing without it (see {paths.install_log})")
    return config.gds and listed["gds"]


def _read_listing(path: Path) -> list[tuple[tuple[str, str, str], str, str]]:
    """Parse `dependency:list` output into ((group, artifact, classifier), version, file name)."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        coords = raw.strip().split(" ")[0].split(":")
        if len(coords) == 5:
            group, artifact, kind, version, _scope = coords
            classifier = ""
        elif len(coords) == 6:
            group, artifact, kind, classifier, version, _scope = coords
        else:
            continue  # header or blank line
        suffix = f"-{classifier}" if classifier else ""
        out.append(((group, artifact, classifier), version, f"{group}.{artifact}-{version}{suffix}.{kind}"))
    return out


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version))


def _tidy(staging: Path, gds_ok: bool) -> tuple[list[str], list[str], list[str]]:
    """Reject test jars in lib/; in plugins/ drop jars lib/ already has and keep one version of each.

    APOC and GDS are resolved separately and both lie on the server's class path (plugins/ first), so a
    second copy of e.g. jackson or commons-lang3 would shadow the server's own.
    """
    lib = _read_listing(staging / "maven" / "er-neo4j-server.txt")
    tests = sorted(name for (g, a, c), _v, name in lib
                   if g.startswith(TEST_GROUPS) or "test" in a.lower() or c in ("tests", "test-jar"))  # fmt: skip
    if tests:
        raise GraphError(f"test jars in the server closure (add exclusions to neo4j/server/pom.xml): {tests}")
    plugin_lists = ["apoc"] + (["gds"] if gds_ok else [])
    plugins = [item for m in plugin_lists for item in _read_listing(staging / "maven" / f"er-neo4j-{m}.txt")]
    lib_versions = {key: version for key, version, _name in lib}
    best: dict[tuple[str, str, str], tuple[str, str]] = {}
    for key, version, name in plugins:
        if key not in best or _version_key(version) > _version_key(best[key][0]):
            best[key] = (version, name)
    keep = {name for key, (_v, name) in best.items() if key not in lib_versions}
    dropped = []
    for key, version, name in plugins:
        if name not in keep:
            reason = f"lib/ has {lib_versions[key]}" if key in lib_versions else f"kept {best[key][0]}"
            dropped.append(f"{':'.join(k for k in key if k)}:{version} ({reason})")
    plugin_dir = staging / "plugins"
    for path in plugin_dir.iterdir():
        if path.name not in keep:
            path.unlink()
    lib_names = sorted(name for _k, _v, name in lib)
    missing = [n for n in lib_names if not (staging / "lib" / n).is_file()] + sorted(
        n for n in keep if not (plugin_dir / n).is_file()
    )
    if missing:
        raise GraphError(f"Maven listed jars it did not copy: {missing[:5]}")
    return lib_names, sorted(keep), sorted(set(dropped))
