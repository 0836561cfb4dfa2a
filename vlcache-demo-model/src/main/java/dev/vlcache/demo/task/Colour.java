package dev.vlcache.demo.task;

/** The colours an object can have, with the RGB value it is painted in. */
public enum Colour {

	RED(214, 39, 40), GREEN(44, 160, 44), BLUE(31, 90, 220), YELLOW(235, 200, 20), PURPLE(148, 60, 189),
	ORANGE(255, 127, 14),
	/** The distractors' colour. */
	GRAY(150, 150, 150);

	private final int red;

	private final int green;

	private final int blue;

	Colour(int red, int green, int blue) {
		this.red = red;
		this.green = green;
		this.blue = blue;
	}

	/** The colours a question can be about (all but {@link #GRAY}). */
	public static java.util.List<Colour> vivid() {
		return java.util.List.of(RED, GREEN, BLUE, YELLOW, PURPLE, ORANGE);
	}

	/** Every colour's word, gray included, in declaration order. */
	public static java.util.List<String> words() {
		return java.util.Arrays.stream(values()).map(Colour::word).toList();
	}

	/** The answer word, e.g. {@code red}. */
	public String word() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

	int red() {
		return this.red;
	}

	int green() {
		return this.green;
	}

	int blue() {
		return this.blue;
	}

}
