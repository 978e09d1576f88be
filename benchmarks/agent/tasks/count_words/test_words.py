import os

from words import count_words


def test_count_words(tmp_path):
    path = os.path.join(str(tmp_path), "a.txt")
    with open(path, "w") as f:
        f.write("one two\nthree\n")
    assert count_words(path) == 3
