def total_price(items):
    return sum(price * count for price, count in items)
