package dev.vlcache.core.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids into text piece by piece without breaking multi-byte characters: a piece is released
 * only when decoding no longer ends in U+FFFD (an incomplete UTF-8 sequence of byte-level tokens). Only a short
 * tail of ids is re-decoded per token, so the cost per step does not grow with the output.
 */
public final class IncrementalDecoder {

	private final TextTokenizer tokenizer;

	private long[] ids = new long[64];

	private int count;

	private int prefixOffset;

	private int readOffset;

	public IncrementalDecoder(TextTokenizer tokenizer) {
		this.tokenizer = tokenizer;
	}

	/** Adds a token and returns the newly completed text, possibly empty. */
	public String add(long id) {
		if (this.count == this.ids.length) {
			this.ids = Arrays.copyOf(this.ids, this.count * 2);
		}
		this.ids[this.count++] = id;
		String prefix = this.tokenizer.decode(Arrays.copyOfRange(this.ids, this.prefixOffset, this.readOffset));
		String full = this.tokenizer.decode(Arrays.copyOfRange(this.ids, this.prefixOffset, this.count));
		if (full.length() > prefix.length() && !full.endsWith("\uFFFD")) {
			String piece = full.substring(prefix.length());
			this.prefixOffset = this.readOffset;
			this.readOffset = this.count;
			return piece;
		}
		return "";
	}

	/** The full text of all ids added so far. */
	public String text() {
		return this.tokenizer.decode(Arrays.copyOf(this.ids, this.count));
	}

}
