"""The sandbox image: both build paths agree, and the built image is hardened."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from tests import docker_helpers
from workbench.errors import ImageMissing, WorkbenchError
from workbench.sandbox import image
from workbench.sandbox.engine import Engine

engine = docker_helpers.engine
sandbox_image = docker_helpers.sandbox_image


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = image.DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        tuple(line.split(maxsplit=1))  # type: ignore[misc]
        for line in lines
        if line and not line.startswith("#")
    ]


def test_both_paths_install_the_same_packages() -> None:
    args = dict(
        value.split("=", 1)
        for keyword, value in dockerfile_instructions()
        if keyword == "ARG" and "=" in value
    )
    from_dockerfile = shlex.split(args["PACKAGES"])[0].split()
    include = next(
        arg
        for arg in image.mmdebstrap_command(image.ASSETS / "x.tar")
        if arg.startswith("--include=")
    )

    assert from_dockerfile == list(image.PACKAGES)
    assert include.removeprefix("--include=").split(",") == list(image.PACKAGES)
    assert args["SANDBOX_UID"] == str(image.SANDBOX_UID)


def test_both_paths_run_the_same_hardening_and_settings() -> None:
    instructions = dockerfile_instructions()
    run = " ".join(value for keyword, value in instructions if keyword == "RUN")
    hook = next(
        arg
        for arg in image.mmdebstrap_command(image.ASSETS / "x.tar")
        if arg.startswith("--customize-hook=")
    )
    changes = dict(change.split(" ", 1) for change in image.import_changes())
    settings = dict(instructions)

    assert re.search(r"sh /tmp/harden\.sh / \$\{SANDBOX_UID\}", run)
    assert str(image.HARDEN_SCRIPT) in hook and hook.endswith(str(image.SANDBOX_UID))
    assert changes["USER"] == f"{image.SANDBOX_UID}:{image.SANDBOX_UID}"
    assert settings["USER"] == "${SANDBOX_UID}:${SANDBOX_UID}"
    assert changes["WORKDIR"] == settings["WORKDIR"] == "/workspace"
    assert json.loads(changes["CMD"]) == json.loads(settings["CMD"])
    assert "--variant=minbase" in image.mmdebstrap_command(image.ASSETS / "x.tar")
    assert not any("http" in arg for arg in image.mmdebstrap_command(image.ASSETS))


def test_harden_script_strips_setuid_and_sudo_and_adds_the_user() -> None:
    script = image.HARDEN_SCRIPT.read_text()

    assert "dpkg --purge sudo" in script
    assert "chmod ug-s" in script and "-perm /6000" in script
    assert "sandbox:x:$uid:$uid" in script


def test_built_image_is_hardened(engine: Engine, sandbox_image: str) -> None:
    facts = image.check_image(engine, sandbox_image)

    assert facts["user"] == f"{image.SANDBOX_UID}:{image.SANDBOX_UID}"
    assert facts["setuid_files"] == [] and facts["sudo_present"] is False
    assert facts["package_count"] > 50 and facts["size_bytes"] > 0
    assert facts["ok"] is True and facts["tag"] == image.image_tag()


def test_missing_image_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(ImageMissing, match="not built"):
        image.check_image(engine, "workbench-sandbox:no-such-version")


def test_missing_mmdebstrap_says_what_to_do(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(WorkbenchError) as raised:
        image.build_image(engine, lambda line: None)
    assert "mmdebstrap" in raised.value.message and "--base" in raised.value.hint
