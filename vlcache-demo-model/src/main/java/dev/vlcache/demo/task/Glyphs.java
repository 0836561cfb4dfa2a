package dev.vlcache.demo.task;

import java.util.List;
import java.util.Map;

/** The letters written on objects, as 5 x 7 bitmaps. */
public final class Glyphs {

	static final int WIDTH = 5;

	static final int HEIGHT = 7;

	private static final Map<Character, String> BITMAPS = Map.of(
			'A', ".###.#...##...#######...##...##...#",
			'C', ".###.#...##....#....#....#...#.###.",
			'E', "######....#....####.#....#....#####",
			'H', "#...##...##...#######...##...##...#",
			'K', "#...##..#.#.#..##...#.#..#..#.#...#",
			'M', "#...###.###.#.##.#.##...##...##...#",
			'P', "####.#...##...#####.#....#....#....",
			'S', ".#####....#.....###.....#....#####.",
			'T', "#####..#....#....#....#....#....#..",
			'X', "#...##...#.#.#...#...#.#.#...##...#");

	/** The letters, in a fixed order. */
	static final List<Character> LETTERS = List.of('A', 'C', 'E', 'H', 'K', 'M', 'P', 'S', 'T', 'X');

	private Glyphs() {
	}

	/** The letters as the model writes them (lower case), in {@link #LETTERS} order. */
	public static List<String> words() {
		return LETTERS.stream().map(c -> String.valueOf(Character.toLowerCase(c))).toList();
	}

	/** Whether pixel ({@code x}, {@code y}) of the letter's bitmap is inked. */
	static boolean inked(char letter, int x, int y) {
		String bitmap = BITMAPS.get(letter);
		if (bitmap == null) {
			throw new IllegalArgumentException("no glyph for '" + letter + "'");
		}
		return bitmap.charAt(y * WIDTH + x) == '#';
	}

}
