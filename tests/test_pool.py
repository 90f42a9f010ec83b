"""The warm pool: paused, never-used containers, each serving one command."""

from __future__ import annotations

from tests import docker_helpers
from tests.docker_helpers import container_exists, session_containers
from workbench.sandbox import labels as labels_mod

# Fixtures on the real engine, shared by the sandbox tests.
engine = docker_helpers.engine
make_runner = docker_helpers.make_runner
sandbox_image = docker_helpers.sandbox_image
session_id = docker_helpers.session_id
workspace = docker_helpers.workspace


def role_of(engine, container_id: str) -> str:
    attrs = engine.client.api.inspect_container(container_id)
    return attrs["Config"]["Labels"][labels_mod.ROLE]


def test_pool_containers_wait_paused_and_labelled(make_runner, engine) -> None:
    runner = make_runner(pool_size=2)

    idle = runner.pool.idle()

    assert len(idle) == 2
    for container_id in idle:
        attrs = engine.client.api.inspect_container(container_id)
        assert attrs["State"]["Paused"] is True
        assert attrs["Config"]["Labels"][labels_mod.ROLE] == "pool"


def test_commands_take_pool_containers_and_never_reuse_one(make_runner, engine) -> None:
    runner = make_runner(pool_size=2)
    roles: list[str] = []

    results = []
    for index in range(6):
        runner.pool.wait_full()
        results.append(
            runner.run(
                f"echo {index} >> log; cat log | wc -l",
                on_start=lambda short: roles.append(role_of(engine, short)),
            )
        )

    assert [r.output for r in results] == [f"{n}\n" for n in range(1, 7)]
    assert roles == ["pool"] * 6
    ids = [r.container_id for r in results]
    assert len(set(ids)) == 6 and runner.history == ids
    runner.settle()
    assert not any(container_exists(engine, cid) for cid in ids)


def test_empty_pool_falls_back_to_the_cold_path(make_runner, engine) -> None:
    runner = make_runner(pool_size=1)

    with runner.quiesced():
        assert runner.pool.idle() == []
        roles: list[str] = []
        result = runner.run(
            "echo cold", on_start=lambda short: roles.append(role_of(engine, short))
        )

    assert result.output == "cold\n" and roles == ["command"]
    assert runner.pool.wait_full()


def test_drain_leaves_no_container_holding_the_workspace(
    make_runner, engine, session_id
) -> None:
    runner = make_runner(pool_size=2)
    runner.run("true")

    runner.drain()

    assert session_containers(engine, session_id) == []
    runner.resume()
    assert runner.pool.wait_full()
    assert len(session_containers(engine, session_id)) == 2


def test_close_removes_every_pool_container(make_runner, engine, session_id) -> None:
    runner = make_runner(pool_size=2)
    idle = runner.pool.idle()

    runner.close()

    assert session_containers(engine, session_id) == []
    assert not any(container_exists(engine, cid) for cid in idle)
    assert runner.pool.take() is None


def test_isolation_holds_between_pooled_commands(make_runner) -> None:
    runner = make_runner(pool_size=2)

    runner.run("touch /tmp/left-behind; nohup sleep 300 >/dev/null 2>&1 &")
    runner.pool.wait_full()
    after = runner.run("ls -A /tmp; ps -eo args | grep -c '^sleep 300' || true")

    assert after.output == "0\n"
