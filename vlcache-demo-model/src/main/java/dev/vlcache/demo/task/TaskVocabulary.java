package dev.vlcache.demo.task;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every word the task's questions, answers and chat template use, in token-id order. The first four are the
 * special tokens.
 */
public final class TaskVocabulary {

	/** Unknown words map here; also pads training batches. */
	public static final String UNKNOWN = "<unk>";

	public static final String BOS = "<s>";

	public static final String EOS = "</s>";

	public static final String IMAGE = "<image>";

	private TaskVocabulary() {
	}

	/** The vocabulary; a word's index is its token id. */
	public static List<String> words() {
		Set<String> words = new LinkedHashSet<>(List.of(UNKNOWN, BOS, EOS, IMAGE, "user", "assistant", ":", "?", ".",
				",", "what", "colour", "color", "is", "the", "shape", "object", "objects", "with", "letter", "on",
				"where", "how", "many", "are", "there", "describe", "image", "which", "has", "written", "in", "shapes", "that",
				"not", "coloured", "colored", "does", "show"));
		for (Colour c : Colour.values()) {
			words.add(c.word());
		}
		for (Shape s : Shape.values()) {
			words.add(s.word());
			words.add(s.plural());
		}
		words.addAll(Glyphs.words());
		words.addAll(Region.rowWords());
		words.addAll(Region.columnWords());
		words.addAll(TaskGenerator.numbers());
		return new ArrayList<>(words);
	}

}
