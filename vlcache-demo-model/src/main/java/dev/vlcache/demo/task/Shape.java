package dev.vlcache.demo.task;

/** The shapes an object can have. */
public enum Shape {

	CIRCLE, SQUARE, TRIANGLE, DIAMOND;

	/** Every shape's word, in declaration order. */
	public static java.util.List<String> words() {
		return java.util.Arrays.stream(values()).map(Shape::word).toList();
	}

	/** The answer word, e.g. {@code circle}. */
	public String word() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

	/** The plural used in counting questions, e.g. {@code circles}. */
	public String plural() {
		return word() + "s";
	}

	/**
	 * Whether the pixel centred at ({@code x}, {@code y}) of a cell of side {@code side} belongs to the shape.
	 * Coordinates are pixel centres, from 0.5 to side - 0.5.
	 */
	boolean covers(double x, double y, int side) {
		double c = side / 2.0;
		double r = side / 2.0 - 1;
		return switch (this) {
			case CIRCLE -> (x - c) * (x - c) + (y - c) * (y - c) <= r * r;
			case SQUARE -> Math.abs(x - c) <= r - 0.5 && Math.abs(y - c) <= r - 0.5;
			case TRIANGLE -> y >= 1 && y <= side - 1 && Math.abs(x - c) <= (y - 1) / (side - 2.0) * r;
			case DIAMOND -> Math.abs(x - c) + Math.abs(y - c) <= r;
		};
	}

}
