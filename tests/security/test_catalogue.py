"""The red team's catalogue of hostile submissions: complete and self-describing.

Fast checks that need no sandbox: every attack family the product's promises
name has a hostile submission in ``hostile/``, each submission says what it
attacks, what success would look like and which backends promise to stop it,
and none carries what it is meant to steal.
"""

from __future__ import annotations

import pytest
import redteam


def test_the_catalogue_covers_every_attack_family():
    names = {a.name for a in redteam.ATTACKS}
    assert len(names) >= 25
    missing = {
        # points without the work
        "lying_eq", "ndarray_subclass", "float_subclass", "exotic_arrays", "nan_inf_tricks", "patch_numpy",
        "patch_pytest_and_grader", "patch_worker_wire", "patch_worker_server", "introspect_caller",
        # faking results
        "fake_results_print", "fake_outputs", "fd_garbage", "fd_garbage_in_call",
        # early exits
        "sys_exit_import", "os_exit", "raise_systemexit", "kill_parent",
        # reading secrets
        "steal_reference", "steal_hidden_tests_and_db", "steal_env", "steal_other_students", "notebook_magics",
        # network
        "network_answers",
        # resources
        "fork_bomb", "memory_bomb", "fork_memory", "infinite_loop_import", "infinite_loop_function",
        "cpu_threads", "disk_fill", "gigantic_output", "gigantic_return", "deep_nesting",
        # damage and persistence
        "tamper_store_and_submissions", "tamper_grader_files", "notebook_writefile", "daemon_persist",
        "symlink_traversal", "deep_tree",
        # crashes
        "segfault", "stack_overflow",
    } - names
    assert not missing


@pytest.mark.parametrize("attack", redteam.ATTACKS, ids=lambda a: a.name)
def test_each_attack_documents_itself(attack):
    assert attack.doc, f"{attack.path.name} needs a docstring"
    assert "Attack:" in attack.doc and "Success would look like:" in attack.doc
    assert attack.backends and attack.backends <= {"bwrap", "docker", "subprocess"}
    if "bwrap" in attack.backends:  # the Docker sandbox promises all that bubblewrap does
        assert "docker" in attack.backends, f"{attack.path.name}: a bwrap attack must also name docker"
    if "subprocess" not in attack.backends:
        assert attack.unisolated, f"{attack.path.name}: say why the subprocess backend does not promise this"
    text = attack.path.read_text()
    for secret in redteam.FINGERPRINTS:
        assert secret not in text, "an attack must not carry what it is meant to steal"
    assert "REDTEAM-CANARY" not in text


def test_an_attack_refuses_a_backend_it_is_not_meant_for():
    kill_parent = next(a for a in redteam.ATTACKS if a.name == "kill_parent")
    with pytest.raises(AssertionError, match="must never run"):
        redteam.render(kill_parent, {}, "subprocess")
