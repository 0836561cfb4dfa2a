package dev.vlcache.demo.task;

/**
 * The nine regions of a page, named by row (top, middle, bottom) and column (left, center, right), which answer
 * "where is ..." questions. The 16 cells per side split 5 / 6 / 5.
 */
public final class Region {

	private static final String[] ROWS = { "top", "middle", "bottom" };

	private static final String[] COLUMNS = { "left", "center", "right" };

	private Region() {
	}

	/** The two-word answer for a cell, e.g. {@code top left}. */
	public static String of(int row, int column, int cells) {
		return ROWS[band(row, cells)] + " " + COLUMNS[band(column, cells)];
	}

	private static int band(int index, int cells) {
		int edge = (cells * 5 + 8) / 16;
		return index < edge ? 0 : index >= cells - edge ? 2 : 1;
	}

	/** The row words, top to bottom. */
	public static java.util.List<String> rowWords() {
		return java.util.List.of(ROWS);
	}

	/** The column words, left to right. */
	public static java.util.List<String> columnWords() {
		return java.util.List.of(COLUMNS);
	}

}
