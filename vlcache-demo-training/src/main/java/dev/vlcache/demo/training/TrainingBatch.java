package dev.vlcache.demo.training;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.core.tokenizer.PromptEncoder;
import org.jspecify.annotations.Nullable;

import dev.vlcache.demo.task.Colour;
import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.SceneObject;
import dev.vlcache.demo.task.TaskSample;

/**
 * Conversations encoded exactly as the inference engine encodes a prompt (same chat template, tokenizer and image
 * preprocessing), right-padded to one length. Every answer token, and the end-of-answer token, is a target: the
 * tokens a turn's answer adds to the prompt that asks it.
 *
 * @param sequences conversations in the batch
 * @param length padded length
 * @param ids token ids, [sequences x length]
 * @param pages the pages in the batch, in the order of their image tokens
 * @param pixels preprocessed pages, [images x 3 x size x size]
 * @param gather for each (sequence, position): its row in the text embeddings stacked over the image features
 * @param targetPositions flattened positions whose next token is a target
 * @param targets those target token ids
 * @param weights each target's weight: every answer weighs the same whatever its length, so that the long
 *        descriptions do not drown the one-word answers
 * @param kinds what the question of each target asks, for per-kind progress; null for end-of-answer tokens
 * @param groundPositions flattened positions that predict a word of an answer about coloured shapes
 * @param evidence for each of those, [groundPositions x length]: 1 at the image tokens of the coloured shapes the
 *        answer is about (the grounding that {@link TrainableLlava#groundingLoss} teaches attention to find)
 * @param mask additive attention mask, [sequences x length x length]: causal, and in conversations drawn for a
 *        simulated eviction (see
 *        {@link #of(List, PromptEncoder, ImageProcessor, int, int, SplittableRandom, SplittableRandom)}) the image
 *        tokens a short answer does not need are hidden from the rows after its first word; what a given layer
 *        sees is {@link #mask(int)}
 * @param evictions the simulated evictions, one per short answer of a drilled conversation
 */
record TrainingBatch(int sequences, int length, long[] ids, List<Scene> pages, float[] pixels, long[] gather,
		long[] targetPositions, long[] targets, float[] weights, @Nullable QuestionKind[] kinds,
		long[] groundPositions, float[] evidence, float[] mask, List<Eviction> evictions) {

	/**
	 * One short answer finished from a compressed cache.
	 * @param sequence the conversation
	 * @param firstRow the first row after the answer's first word
	 * @param lastRow the row that predicts the answer's end
	 * @param kept the image positions these rows still see in the layers {@code layers}: the coloured shapes', and
	 *        perhaps some bystanders (see {@link #withBystanders})
	 * @param layers bit {@code l} set when decoder layer {@code l} still holds {@code kept}; the others hold no image
	 *        token for these rows
	 */
	record Eviction(int sequence, int firstRow, int lastRow, int[] kept, int layers) {

		boolean holds(int layer) {
			return (this.layers >>> layer & 1) != 0;
		}

		boolean covers(int sequence, int row) {
			return this.sequence == sequence && row >= this.firstRow && row <= this.lastRow;
		}

	}

	/** What a masked attention score is set to. */
	static final float HIDDEN = -1e9f;

	/** Pages in the batch. */
	int images() {
		return this.pages.size();
	}

	/** Encodes conversations, each a list of questions about the same pages, every token seeing all before it. */
	static TrainingBatch of(List<List<TaskSample>> conversations, PromptEncoder encoder,
			ImageProcessor processor, int imageTokenId) {
		return of(conversations, encoder, processor, imageTokenId, 1, null, null);
	}

	/** The additive attention mask of decoder layer {@code layer}: {@link #mask()} less what its cache evicted. */
	float[] mask(int layer) {
		float[] out = this.mask;
		int square = this.length * this.length;
		for (Eviction e : this.evictions) {
			if (e.holds(layer)) {
				continue;
			}
			if (out == this.mask) {
				out = this.mask.clone();
			}
			for (int row = e.firstRow(); row <= e.lastRow(); row++) {
				for (int t : e.kept()) {
					out[e.sequence() * square + row * this.length + t] = HIDDEN;
				}
			}
		}
		return out;
	}

	/**
	 * Whether decoder layer {@code layer} can attend to the evidence of ground position {@code index}: not where a
	 * simulated eviction took the coloured shapes from that layer.
	 */
	boolean grounds(int index, int layer) {
		long flat = this.groundPositions[index];
		int sequence = (int) (flat / this.length);
		int row = (int) (flat % this.length);
		for (Eviction e : this.evictions) {
			if (e.covers(sequence, row) && !e.holds(layer)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * As {@link #of(List, PromptEncoder, ImageProcessor, int)}, and each conversation, with probability one half
	 * drawn from {@code eviction}, has its short answers finished as a compressed cache would finish them. The
	 * engine predicts an answer's first word from the whole prompt, then evicts, and decodes the rest from what is
	 * kept: the question and the image tokens its attention chose, the coloured shapes the answer is about. So the
	 * rows after a short answer's first word see, of the image tokens, only the coloured shapes'. Without this,
	 * the model decided where a one-word answer ends from image tokens it needs for nothing else: with those
	 * evicted it went on ("purple gray center"), and VL-Cache at 10% lost 30 points on colour answers whose first
	 * word was right. (Hiding the other image tokens from descriptions too, beyond their objects', kept the model
	 * from learning letters at all: 0.06-0.15 through step 2700.)
	 * <p>
	 * Each layer's cache is compressed on a budget of its own, so one layer may have lost the coloured shapes that
	 * the others kept. With {@code blinding}, in half the drilled answers one of the {@code layers} (see
	 * {@link #layersKeeping}) shows the later rows no image token at all. A model drilled with every layer keeping
	 * them read the second word of "top left" in layer 1 only, and lost it when a cache kept the shape in layers 2
	 * and 3 only.
	 */
	static TrainingBatch of(List<List<TaskSample>> conversations, PromptEncoder encoder,
			ImageProcessor processor, int imageTokenId, int layers, @Nullable SplittableRandom eviction,
			@Nullable SplittableRandom blinding) {
		List<long[]> encoded = new ArrayList<>();
		List<float[]> answers = new ArrayList<>();
		List<QuestionKind[]> asking = new ArrayList<>();
		// Per conversation: (position predicting an answer word, image-token positions it is about).
		List<List<int[]>> grounding = new ArrayList<>();
		List<Scene> scenes = new ArrayList<>();
		List<Eviction> drawn = new ArrayList<>();
		int length = 0;
		for (List<TaskSample> conversation : conversations) {
			List<ChatMessage> messages = new ArrayList<>();
			List<int[]> spans = new ArrayList<>();
			for (int i = 0; i < conversation.size(); i++) {
				TaskSample s = conversation.get(i);
				messages.add(ChatMessage.user(s.question(), i == 0 ? s.scenes().size() : 0));
				int asked = encoder.encode(messages, true, 0).length();
				messages.add(ChatMessage.assistant(s.answer()));
				spans.add(new int[] { asked, encoder.encode(messages, false, 0).length() });
			}
			EncodedPrompt prompt = encoder.encode(messages, false, 0);
			float[] answer = new float[prompt.length()];
			QuestionKind[] kind = new QuestionKind[prompt.length()];
			for (int i = 0; i < spans.size(); i++) {
				int[] span = spans.get(i);
				java.util.Arrays.fill(answer, span[0], span[1], 1f / (span[1] - span[0]));
				// The last target is the end-of-answer token, right almost from the start: progress counts words.
				java.util.Arrays.fill(kind, span[0], span[1] - 1, conversation.get(i).kind());
			}
			encoded.add(prompt.ids());
			answers.add(answer);
			asking.add(kind);
			// The image tokens of the coloured shapes: what grounding points at and what an eviction keeps.
			List<Integer> image = imagePositions(prompt.ids(), imageTokenId);
			List<Integer> coloured = colouredPositions(conversation.get(0).scenes(), image);
			grounding.add(grounding(conversation, spans, coloured));
			if (eviction != null && eviction.nextBoolean()) {
				for (int[] e : evictions(conversation, spans, coloured)) {
					int keeping = layersKeeping(layers, blinding);
					int[] kept = withBystanders(java.util.Arrays.copyOfRange(e, 2, e.length), image, blinding);
					drawn.add(new Eviction(encoded.size() - 1, e[0], e[1], kept, keeping));
				}
			}
			scenes.addAll(conversation.get(0).scenes());
			length = Math.max(length, prompt.length());
		}
		int b = encoded.size();
		long[] ids = new long[b * length];
		long[] gather = new long[b * length];
		List<Long> positions = new ArrayList<>();
		List<Long> targets = new ArrayList<>();
		List<Float> weights = new ArrayList<>();
		List<QuestionKind> kinds = new ArrayList<>();
		long imageRow = (long) b * length;
		for (int s = 0; s < b; s++) {
			long[] seq = encoded.get(s);
			for (int t = 0; t < length; t++) {
				int flat = s * length + t;
				long id = t < seq.length ? seq[t] : 0;
				ids[flat] = id;
				gather[flat] = id == imageTokenId && t < seq.length ? imageRow++ : flat;
				if (t < seq.length && answers.get(s)[t] > 0) {
					// The answer token at t is predicted from position t - 1.
					positions.add((long) flat - 1);
					targets.add(id);
					weights.add(answers.get(s)[t]);
					kinds.add(asking.get(s)[t]);
				}
			}
		}
		List<Long> groundPositions = new ArrayList<>();
		List<int[]> evidenceRows = new ArrayList<>();
		for (int s = 0; s < b; s++) {
			for (int[] g : grounding.get(s)) {
				groundPositions.add((long) s * length + g[0]);
				evidenceRows.add(java.util.Arrays.copyOfRange(g, 1, g.length));
			}
		}
		float[] evidence = new float[evidenceRows.size() * length];
		for (int i = 0; i < evidenceRows.size(); i++) {
			for (int t : evidenceRows.get(i)) {
				evidence[i * length + t] = 1;
			}
		}
		return new TrainingBatch(b, length, ids, List.copyOf(scenes), pixels(scenes, processor), gather,
				positions.stream().mapToLong(Long::longValue).toArray(),
				targets.stream().mapToLong(Long::longValue).toArray(), weightArray(weights),
				kinds.toArray(QuestionKind[]::new), groundPositions.stream().mapToLong(Long::longValue).toArray(),
				evidence, mask(b, length, ids, imageTokenId, drawn), List.copyOf(drawn));
	}

	/**
	 * The layers that keep a drilled answer's shapes: all of them, or, with {@code blinding}, in half the answers
	 * all but one: half of those times the first grounded layer, otherwise one drawn uniformly. Every head of the
	 * first grounded layer is grounded, so it is the sparsest layer and the one adaptive allocation starves: at a
	 * 10% budget it lost the shape on 41 of 95 region questions, often keeping no image token at all. Drawn
	 * uniformly, it was blind in one drilled answer in eight, and the model misread 8 of those 41 answers, each a
	 * "right" read as "left" or "center".
	 */
	static int layersKeeping(int layers, @Nullable SplittableRandom blinding) {
		int all = (1 << layers) - 1;
		if (blinding == null || !blinding.nextBoolean()) {
			return all;
		}
		boolean starved = layers > TrainableLlava.FIRST_GROUNDED_LAYER && blinding.nextBoolean();
		return all & ~(1 << (starved ? TrainableLlava.FIRST_GROUNDED_LAYER : blinding.nextInt(layers)));
	}

	/**
	 * {@code shapes}, and with {@code blinding}, in half the drilled answers, also up to a tenth of the other
	 * image tokens ({@code image} less {@code shapes}), their number uniform in [1, image tokens / 10] and drawn
	 * uniformly. A 10% cache keeps more than the shapes: drilled on the shapes alone, the model ended colour answers
	 * only when nothing else was in view, and at 10% said "blue one" (8 of the 11 answers lost on one test seed).
	 * Drilled with bystanders in every answer, it lost accuracy at a 1% budget (92.9-94.8% on four test seeds,
	 * against 94.4-97.0%), so half the answers still see the shapes alone.
	 */
	static int[] withBystanders(int[] shapes, List<Integer> image, @Nullable SplittableRandom blinding) {
		if (blinding == null || !blinding.nextBoolean()) {
			return shapes;
		}
		java.util.Set<Integer> kept = new java.util.HashSet<>();
		for (int t : shapes) {
			kept.add(t);
		}
		int[] others = image.stream().filter(t -> !kept.contains(t)).mapToInt(Integer::intValue).toArray();
		int count = Math.min(others.length, 1 + blinding.nextInt(Math.max(1, image.size() / 10)));
		// A partial Fisher-Yates shuffle: the first count entries become a uniform draw without replacement.
		for (int i = 0; i < count; i++) {
			int j = i + blinding.nextInt(others.length - i);
			int swap = others[i];
			others[i] = others[j];
			others[j] = swap;
		}
		int[] out = java.util.Arrays.copyOf(shapes, shapes.length + count);
		System.arraycopy(others, 0, out, shapes.length, count);
		return out;
	}

	/** Causal mask per sequence, with each eviction's rows blind to the image tokens it does not keep. */
	private static float[] mask(int sequences, int length, long[] ids, int imageTokenId, List<Eviction> evictions) {
		int square = length * length;
		float[] mask = new float[sequences * square];
		for (int s = 0; s < sequences; s++) {
			for (int i = 0; i < length; i++) {
				java.util.Arrays.fill(mask, s * square + i * length + i + 1, s * square + (i + 1) * length, HIDDEN);
			}
		}
		for (Eviction e : evictions) {
			int s = e.sequence();
			boolean[] kept = new boolean[length];
			for (int t : e.kept()) {
				kept[t] = true;
			}
			for (int row = e.firstRow(); row <= e.lastRow(); row++) {
				for (int t = 0; t < row; t++) {
					if (ids[s * length + t] == imageTokenId && !kept[t]) {
						mask[s * square + row * length + t] = HIDDEN;
					}
				}
			}
		}
		return mask;
	}

	/**
	 * For each short answer: the first and last row after its first word (those predicting its second word, if
	 * any, and its end), then the image positions of the coloured shapes, which a compressed cache keeps for it.
	 */
	private static List<int[]> evictions(List<TaskSample> conversation, List<int[]> spans, List<Integer> kept) {
		List<int[]> out = new ArrayList<>();
		for (int i = 0; i < conversation.size(); i++) {
			if (conversation.get(i).kind() == QuestionKind.DESCRIBE) {
				continue;
			}
			out.add(followedBy(kept, spans.get(i)[0], spans.get(i)[1] - 2));
		}
		return out;
	}

	/** {@code head}, then {@code positions}, in one array: the rows grounding and eviction record. */
	private static int[] followedBy(List<Integer> positions, int... head) {
		int[] out = java.util.Arrays.copyOf(head, head.length + positions.size());
		for (int k = 0; k < positions.size(); k++) {
			out[head.length + k] = positions.get(k);
		}
		return out;
	}

	/** Sequence positions of every image token in {@code ids}, in order. */
	private static List<Integer> imagePositions(long[] ids, int imageTokenId) {
		List<Integer> out = new ArrayList<>();
		for (int t = 0; t < ids.length; t++) {
			if (ids[t] == imageTokenId) {
				out.add(t);
			}
		}
		return out;
	}

	/** Sequence positions of the image tokens of the coloured shapes on {@code pages}. */
	private static List<Integer> colouredPositions(List<Scene> pages, List<Integer> imagePositions) {
		int perPage = Scene.CELLS * Scene.CELLS;
		List<Integer> out = new ArrayList<>();
		for (int page = 0; page < pages.size(); page++) {
			for (SceneObject o : pages.get(page).objects()) {
				if (o.colour() != Colour.GRAY) {
					out.add(imagePositions.get(page * perPage + o.row() * Scene.CELLS + o.column()));
				}
			}
		}
		return out;
	}

	/**
	 * For each word of each answer about coloured shapes (all but descriptions): the position that predicts it,
	 * followed by the sequence positions of the image tokens of every coloured shape on the pages.
	 */
	private static List<int[]> grounding(List<TaskSample> conversation, List<int[]> spans, List<Integer> coloured) {
		List<int[]> out = new ArrayList<>();
		for (int i = 0; i < conversation.size(); i++) {
			if (conversation.get(i).kind() == QuestionKind.DESCRIBE) {
				continue;
			}
			// Every position that predicts a word of the answer (not its end), e.g. both words of "top left".
			for (int at = spans.get(i)[0] - 1; at < spans.get(i)[1] - 2; at++) {
				out.add(followedBy(coloured, at));
			}
		}
		return out;
	}

	/** The pages rendered and preprocessed as the engine does, [pages x 3 x size x size]. */
	static float[] pixels(List<Scene> pages, ImageProcessor processor) {
		int size = Scene.SIZE * Scene.SIZE * 3;
		float[] pixels = new float[pages.size() * size];
		for (int i = 0; i < pages.size(); i++) {
			System.arraycopy(processor.preprocess(pages.get(i).render()), 0, pixels, i * size, size);
		}
		return pixels;
	}

	private static float[] weightArray(List<Float> weights) {
		float[] out = new float[weights.size()];
		for (int i = 0; i < out.length; i++) {
			out[i] = weights.get(i);
		}
		return out;
	}

}
