"""Shared domain rules: the dossier state machine and citizen ID checks."""

from __future__ import annotations

from datetime import date

from sync.domain import (
    DOSSIER_TRANSITIONS,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    DossierStatus,
    can_transition,
    cccd_matches_birth,
    cccd_problem,
    phone_problem,
)

S = DossierStatus


def test_returned_withdrawn_refused_and_stopped_are_terminal() -> None:
    assert {S.RESULT_RETURNED, S.WITHDRAWN, S.REFUSED, S.STOPPED} == TERMINAL_STATUSES
    assert not can_transition(S.RESULT_RETURNED, S.IN_PROGRESS)
    assert not can_transition(S.STOPPED, S.IN_PROGRESS)


def test_processing_can_be_stopped_only_while_the_dossier_is_open() -> None:
    """Form 05 (Thông báo dừng giải quyết hồ sơ, Annex I of Circular 03/2025/TT-VPCP) is
    sent while the dossier is being handled; a decided or closed dossier cannot stop."""
    assert {s for s in DossierStatus if can_transition(s, S.STOPPED)} == {
        S.RECEIVED,
        S.NEEDS_SUPPLEMENT,
        S.IN_PROGRESS,
    }
    assert S.STOPPED not in OPEN_STATUSES


def test_every_status_is_reachable_from_received() -> None:
    seen, frontier = {S.RECEIVED}, [S.RECEIVED]
    while frontier:
        for nxt in DOSSIER_TRANSITIONS.get(frontier.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(DossierStatus)


def test_open_statuses_can_still_end() -> None:
    for status in OPEN_STATUSES:
        assert DOSSIER_TRANSITIONS[status]


def test_cccd_rules() -> None:
    assert cccd_problem("010090012345") is None
    assert cccd_problem("01009001234") is not None  # 11 digits
    assert cccd_problem("000090012345") is not None  # province 000
    assert cccd_problem("097090012345") is not None  # province 097
    assert cccd_matches_birth("010090012345", date(1990, 1, 1))
    assert cccd_matches_birth("010205012345", date(2005, 6, 1))
    assert not cccd_matches_birth("010090012345", date(2090, 1, 1))


def test_phone_rules() -> None:
    assert phone_problem("0912345678") is None
    assert phone_problem("+84912345678") is None
    assert phone_problem("0912 345 678") is None
    assert phone_problem("12345") is not None
