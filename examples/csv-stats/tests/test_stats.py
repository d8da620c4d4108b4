from src.stats import summarise


def test_mean_min_max():
    result = summarise("a,b\n1,x\n3,y\n")
    assert result["rows"] == 2
    assert result["columns"] == {"a": {"mean": 2.0, "min": 1.0, "max": 3.0}}


def test_empty_table():
    assert summarise("a\n")["rows"] == 0
