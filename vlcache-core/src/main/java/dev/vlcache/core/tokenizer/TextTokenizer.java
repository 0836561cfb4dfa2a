package dev.vlcache.core.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.vlcache.core.checkpoint.CheckpointException;

/**
 * The checkpoint's {@code tokenizer.json} through DJL's Hugging Face tokenizers binding, with truncation and
 * padding off (the engine checks the context length itself and never cuts a prompt silently).
 */
public final class TextTokenizer implements AutoCloseable {

	private final HuggingFaceTokenizer tokenizer;

	private TextTokenizer(HuggingFaceTokenizer tokenizer) {
		this.tokenizer = tokenizer;
	}

	public static TextTokenizer load(Path folder) {
		Path file = folder.resolve("tokenizer.json");
		if (!Files.isRegularFile(file)) {
			throw new CheckpointException("Missing tokenizer.json in " + folder);
		}
		try {
			return new TextTokenizer(HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "true",
					"truncation", "false", "padding", "false", "modelMaxLength", Integer.toString(Integer.MAX_VALUE))));
		}
		catch (IOException | RuntimeException ex) {
			throw new CheckpointException("Cannot load " + file + ": " + ex.getMessage(), ex);
		}
	}

	/** Token ids of {@code text}, with the tokenizer's special tokens (BOS) when {@code addSpecialTokens}. */
	public long[] encode(String text, boolean addSpecialTokens) {
		return this.tokenizer.encode(text, addSpecialTokens, false).getIds();
	}

	/** Text of {@code ids}, special tokens skipped. */
	public String decode(long[] ids) {
		return this.tokenizer.decode(ids, true);
	}

	/** The string of a single token id, special tokens included. */
	public String tokenText(long id) {
		return this.tokenizer.decode(new long[] { id }, false);
	}

	@Override
	public void close() {
		this.tokenizer.close();
	}

}
