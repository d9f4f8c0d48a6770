"""queue_neighbour: the pending item after (or before) an item in a queue's order, found from the item's own
sort values, so that an item that has just left the queue still has a next one."""
from review import services as review
from review.selectors import queue_neighbour, review_queue


def test_next_and_previous_in_the_default_order_skip_decided_items(world):
    a, b, c, d = (world.item() for _ in range(4))
    queue = review_queue(world.reviewer, state=None)  # oldest first
    assert queue_neighbour(queue, a) == b
    assert queue_neighbour(queue, b, forward=False) == a
    assert queue_neighbour(queue, a, forward=False) is None
    review.dismiss_item(b, user=world.reviewer, reason="无问题")
    assert queue_neighbour(queue, a) == c  # b is no longer open
    assert queue_neighbour(queue, c, forward=False) == a
    assert queue_neighbour(queue, d) is None


def test_an_item_that_left_the_pending_queue_keeps_its_place(world):
    a, b, c = (world.item() for _ in range(3))
    review.confirm_item(b, user=world.reviewer, amount=b.amount_at_stake, reason="属实")
    queue = review_queue(world.reviewer)  # pending only: b is not in it any more
    assert b not in queue
    assert queue_neighbour(queue, b) == c and queue_neighbour(queue, b, forward=False) == a


def test_a_sorted_and_filtered_queue(world):
    big_a = world.item(amount_fen=9000)
    small_b = world.item(amount_fen=1000, settlement=world.settled_visit(institution=world.inst_b))
    mid_a = world.item(amount_fen=5000)
    tie_a = world.item(amount_fen=5000)
    by_amount = review_queue(world.reviewer).order_by("-amount_at_stake", "-pk")
    assert queue_neighbour(by_amount, big_a) == tie_a  # equal amounts: the higher pk first
    assert queue_neighbour(by_amount, tie_a) == mid_a
    assert queue_neighbour(by_amount, mid_a) == small_b
    assert queue_neighbour(by_amount, small_b, forward=False) == mid_a
    only_a = review_queue(world.reviewer, institution=world.inst_a).order_by("-amount_at_stake", "-pk")
    assert queue_neighbour(only_a, mid_a) is None  # small_b is of the other institution
