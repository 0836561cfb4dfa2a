package dev.vlcache.demo.task;

import java.util.Locale;

/**
 * One object on a page: a coloured shape with a letter written on it, filling one cell of the grid (one image
 * token of the demo model).
 *
 * @param colour its colour
 * @param shape its shape
 * @param letter the letter written on it
 * @param row grid row, 0 at the top
 * @param column grid column, 0 at the left
 */
public record SceneObject(Colour colour, Shape shape, char letter, int row, int column) {

	/** Where it is, e.g. {@code top left}. */
	public String region() {
		return Region.of(this.row, this.column, Scene.CELLS);
	}

	/** The letter as the model writes it (lower case, like every word the tokenizer sees). */
	public String letterWord() {
		return String.valueOf(this.letter).toLowerCase(Locale.ROOT);
	}

	/** How a description names it, e.g. {@code red circle k top left}. */
	public String describe() {
		return this.colour.word() + " " + this.shape.word() + " " + letterWord() + " " + region();
	}

}
