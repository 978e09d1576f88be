from strings import reverse_words, shout


def test_shout():
    assert shout("hi") == "HI!"


def test_reverse_words():
    assert reverse_words("one two three") == "three two one"
