"""Marking answers: typed answers forgive small slips, never a neighbouring level."""

import pytest

from learning.study.grading import is_correct, normalise, typed_is_correct

L4 = ["L4 nerve root", "L4", "L4 root"]
NOT_L4 = ["L3 nerve root", "L3", "L5 nerve root", "L5", "S1 nerve root", "S1"]


@pytest.mark.parametrize("typed", ["L4", "l4", " L4 root ", "the L4 nerve root", "L4 Nerve-Root"])
def test_names_and_aliases_are_accepted_however_written(typed):
    assert typed_is_correct(typed, L4, NOT_L4)


@pytest.mark.parametrize("typed", ["L5", "L3", "l 5", "", "S1", "L44"])
def test_a_neighbouring_root_is_never_taken_for_a_typo(typed):
    assert not typed_is_correct(typed, L4, NOT_L4)


def test_small_misspellings_of_longer_answers_are_accepted():
    accepted = ["iliopsoas", "hip flexors (iliopsoas)"]
    assert typed_is_correct("illiopsoas", accepted)
    assert typed_is_correct("iliopsaos", accepted)
    assert not typed_is_correct("psoas", accepted)


def test_a_slip_closer_to_a_wrong_answer_is_not_accepted():
    assert not typed_is_correct("naproxin", ["ibuprofen"], ["naproxen"])
    assert typed_is_correct("ibuprofin", ["ibuprofen"], ["naproxen"])


def test_dashes_and_accents_are_normalised():
    assert normalise("L1–L2 Foramen") == normalise("l1-l2 foramen") == "l1-l2 foramen"
    assert normalise("Lasègue's sign") == "lasegue s sign"


def test_select_all_needs_exactly_the_true_answers():
    assert is_correct("multi", ["A", "C"], ["C", "A"])
    assert not is_correct("multi", ["A"], ["A", "C"])
    assert not is_correct("multi", ["A", "B", "C"], ["A", "C"])
    assert not is_correct("multi", ["A", "A", "C"], ["A", "C"])


def test_ordering_needs_the_exact_order():
    assert is_correct("order", ["T12", "L1", "L2"], ["T12", "L1", "L2"])
    assert not is_correct("order", ["L1", "T12", "L2"], ["T12", "L1", "L2"])


def test_single_answer_kinds():
    assert is_correct("mcq", ["L2 nerve root"], ["L2 nerve root"])
    assert not is_correct("truefalse", ["True"], ["False"])
    assert not is_correct("mcq", ["L2 nerve root", "L3 nerve root"], ["L2 nerve root"])
