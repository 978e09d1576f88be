from shop.cart import cart_total
from shop.report import receipt


def test_cart_total():
    assert cart_total([(2, 3), (1, 4)]) == 10


def test_receipt():
    assert receipt([(5, 2)]) == "total: 10"
