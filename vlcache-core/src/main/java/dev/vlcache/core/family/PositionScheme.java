package dev.vlcache.core.family;

import java.util.List;

import dev.vlcache.core.text.RotaryPositions;
import dev.vlcache.core.tokenizer.PromptLayout;

/** How a family numbers the rotary positions of a prompt and of the tokens decoded after it. */
@FunctionalInterface
public interface PositionScheme {

	/** One position stream, the sequence index (Llama, Mistral, Qwen2 decoders). */
	PositionScheme SEQUENTIAL = (ids, layout, images) -> RotaryPositions.SEQUENTIAL;

	/** The positions of a prompt of token {@code ids} whose image tokens {@code layout} marks. */
	RotaryPositions forPrompt(long[] ids, PromptLayout layout, List<PreparedImage> images);

}
