package dev.vlcache.core.tokenizer;

/**
 * Which positions of an encoded prompt are image tokens. Compression needs it to find the post-vision window and to report
 * kept tokens by modality.
 *
 * @param imageMask {@code true} at image-token positions; its length is the prompt length
 */
public record PromptLayout(boolean[] imageMask) {

	public int length() {
		return this.imageMask.length;
	}

	/** Index of the last image token, or -1 when the prompt has no image. */
	public int lastImageIndex() {
		for (int i = this.imageMask.length - 1; i >= 0; i--) {
			if (this.imageMask[i]) {
				return i;
			}
		}
		return -1;
	}

	public int imageTokenCount() {
		int c = 0;
		for (boolean b : this.imageMask) {
			if (b) {
				c++;
			}
		}
		return c;
	}

	public boolean isImage(int position) {
		return this.imageMask[position];
	}

}
