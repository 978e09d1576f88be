from shop.cart import total_price


def receipt(items):
    return f"total: {total_price(items)}"
