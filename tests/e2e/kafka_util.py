"""Helpers for the Kafka end-to-end tests: pipeline files, the offsets file, bounded waiting."""
import json
import os
import time


def yaml_str(value):
    """A YAML double-quoted scalar (JSON strings are valid YAML), so ':' in host:port is safe."""
    return json.dumps(str(value))


def write_pipeline(path, name, source_file, topic, sink, source_extra=None):
    """Writes a file -> kafka pipeline with a string value converter; returns its path."""
    lines = [
        "name: " + yaml_str(name),
        "source:",
        "  connector: file",
        "  file: " + yaml_str(os.path.abspath(source_file)),
        "  topic: " + yaml_str(topic),
    ]
    for key, value in (source_extra or {}).items():
        lines.append("  %s: %s" % (key, yaml_str(value)))
    lines += ["converter:", "  value: string", "sink:", "  connector: kafka"]
    for key, value in sink.items():
        lines.append("  %s: %s" % (key, yaml_str(value)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def committed_position(offsets_path, pipeline):
    """The file source's committed byte position, or None when nothing is committed yet.

    The offsets file is replaced atomically, so a reader sees the old or the new version whole."""
    try:
        with open(offsets_path) as f:
            doc = json.load(f)
    except FileNotFoundError:
        return None
    offsets = doc.get("pipelines", {}).get(pipeline, {}).get("offsets", [])
    if not offsets:
        return None
    return offsets[0]["offset"]["position"]


def wait_until(predicate, timeout, interval=0.002):
    """Polls predicate() until it returns a truthy value (returned) or timeout seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None
