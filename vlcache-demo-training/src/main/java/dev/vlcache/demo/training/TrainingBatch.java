package dev.vlcache.demo.training;

import java.util.ArrayList;
import java.util.List;

import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskSample;

/**
 * Conversations encoded exactly as the inference engine encodes a prompt (same chat template, tokenizer and image
 * preprocessing), right-padded to one length. Every answer token, and the end-of-answer token, is a target: the
 * tokens a turn's answer adds to the prompt that asks it.
 *
 * @param sequences conversations in the batch
 * @param length padded length
 * @param ids token ids, [sequences x length]
 * @param images pages in the batch
 * @param pixels preprocessed pages, [images x 3 x size x size]
 * @param gather for each (sequence, position): its row in the text embeddings stacked over the image features
 * @param targetPositions flattened positions whose next token is a target
 * @param targets those target token ids
 * @param weights each target's weight: every answer weighs the same whatever its length, so that the long
 *        descriptions do not drown the one-word answers
 */
record TrainingBatch(int sequences, int length, long[] ids, int images, float[] pixels, long[] gather,
		long[] targetPositions, long[] targets, float[] weights) {

	/** Encodes conversations, each a list of questions about the same pages. */
	static TrainingBatch of(List<List<TaskSample>> conversations, PromptEncoder encoder,
			ImageProcessor processor, int imageTokenId) {
		List<long[]> encoded = new ArrayList<>();
		List<float[]> answers = new ArrayList<>();
		List<Scene> scenes = new ArrayList<>();
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
			for (int[] span : spans) {
				java.util.Arrays.fill(answer, span[0], span[1], 1f / (span[1] - span[0]));
			}
			encoded.add(prompt.ids());
			answers.add(answer);
			scenes.addAll(conversation.get(0).scenes());
			length = Math.max(length, prompt.length());
		}
		int b = encoded.size();
		long[] ids = new long[b * length];
		long[] gather = new long[b * length];
		List<Long> positions = new ArrayList<>();
		List<Long> targets = new ArrayList<>();
		List<Float> weights = new ArrayList<>();
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
				}
			}
		}
		int size = Scene.SIZE * Scene.SIZE * 3;
		float[] pixels = new float[scenes.size() * size];
		for (int i = 0; i < scenes.size(); i++) {
			System.arraycopy(processor.preprocess(scenes.get(i).render()), 0, pixels, i * size, size);
		}
		return new TrainingBatch(b, length, ids, scenes.size(), pixels, gather,
				positions.stream().mapToLong(Long::longValue).toArray(),
				targets.stream().mapToLong(Long::longValue).toArray(), weightArray(weights));
	}

	private static float[] weightArray(List<Float> weights) {
		float[] out = new float[weights.size()];
		for (int i = 0; i < out.length; i++) {
			out[i] = weights.get(i);
		}
		return out;
	}

}
