package dev.vlcache.core.compression;

import dev.vlcache.core.tokenizer.PromptLayout;

/**
 * The query rows whose attention scores tokens: {@code auto} (the post-vision segment, the prompt positions after
 * the last image token; the last 32 positions when there is no image) or a fixed number of last positions.
 *
 * @param fixed the window length, or 0 for {@code auto}
 */
public record ScoringWindow(int fixed) {

	/** Window length used when {@code auto} finds no image in the prompt. */
	public static final int NO_IMAGE_WINDOW = 32;

	public static final ScoringWindow AUTO = new ScoringWindow(0);

	public ScoringWindow {
		if (fixed < 0) {
			throw new IllegalArgumentException("scoring-window " + fixed + " is not valid; expected auto or an integer >= 1");
		}
	}

	public boolean isAuto() {
		return this.fixed == 0;
	}

	/** Parses {@code auto} or an integer >= 1. */
	public static ScoringWindow parse(String value) {
		String v = value.trim();
		if (v.equalsIgnoreCase("auto")) {
			return AUTO;
		}
		int w;
		try {
			w = Integer.parseInt(v);
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("scoring-window '" + value + "' is not valid; expected auto or an integer >= 1");
		}
		return of(w);
	}

	public static ScoringWindow of(int length) {
		if (length < 1) {
			throw new IllegalArgumentException("scoring-window " + length + " is not valid; expected auto or an integer >= 1");
		}
		return new ScoringWindow(length);
	}

	/** The window length for a prompt, clipped to [1, n]. */
	public int resolve(PromptLayout prompt) {
		int n = prompt.length();
		int w;
		if (isAuto()) {
			int lastImage = prompt.lastImageIndex();
			w = lastImage < 0 ? NO_IMAGE_WINDOW : n - 1 - lastImage;
		}
		else {
			w = this.fixed;
		}
		return Math.max(1, Math.min(n, w));
	}

	@Override
	public String toString() {
		return isAuto() ? "auto" : Integer.toString(this.fixed);
	}

}
