"""
Tables as the OpenStack client prints them (``openstack volume list``): a rule, the
header, a rule, the rows, a rule.

Pure Python with no Salt dunders: loaded by Salt as a utils module.
"""


def boxed(header, rows):
    """``header`` and ``rows`` (sequences of cells, turned into text) as a boxed table."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in [list(header), *rows]) for i in range(len(header))]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"

    def line(row):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        return "| " + " | ".join(cells) + " |"

    return "\n".join([rule, line(header), rule, *map(line, rows), rule])
