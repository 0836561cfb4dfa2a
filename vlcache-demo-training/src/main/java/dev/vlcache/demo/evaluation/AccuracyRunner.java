package dev.vlcache.demo.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.compression.CacheCompressor;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionReport;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.generation.Sampler;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.text.CompositeObserver;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskSample;

/**
 * Answers each question once per policy, greedily, from one shared prefill: every policy observes the same
 * prefill's attention, then compresses its own copy of the cache and decodes. The answers are exactly those a
 * request with that policy would give, without prefilling the prompt once per policy.
 */
public final class AccuracyRunner {

	/** Tokens a short answer may take (two words plus the end token, with room to spare). */
	static final int SHORT_ANSWER_TOKENS = 6;

	/** Tokens a description may take: eleven shapes of about six tokens. */
	static final int DESCRIPTION_TOKENS = 64;

	private final LlavaModel model;

	public AccuracyRunner(LlavaModel model) {
		this.model = model;
	}

	/**
	 * One question's answers.
	 * @param sample the question
	 * @param answers one answer per policy, in the order given
	 * @param scores the score of each answer (exact match or token F1)
	 * @param retained each policy's retained share of the prompt's KV bytes
	 */
	public record Outcome(TaskSample sample, List<String> answers, double[] scores, double[] retained) {
	}

	/** Answers {@code sample} with every policy in {@code policies}. */
	public Outcome answer(TaskSample sample, List<EvaluatedPolicy> policies) {
		int maxTokens = sample.kind().shortAnswer() ? SHORT_ANSWER_TOKENS : DESCRIPTION_TOKENS;
		EncodedPrompt prompt = this.model.promptEncoder()
			.encode(List.of(ChatMessage.user(sample.question(), sample.scenes().size())), true, maxTokens);
		int n = prompt.length();
		List<CompressionRun> runs = new ArrayList<>();
		for (EvaluatedPolicy p : policies) {
			runs.add(CompressionPolicies.get(p.policy()).begin(prompt.layout(), p.options(), this.model.numLayers()));
		}
		List<RgbImage> images = sample.scenes().stream().map(Scene::render).toList();
		Set<Integer> eos = this.model.eosTokenIds();
		List<String> answers = new ArrayList<>();
		double[] scores = new double[policies.size()];
		double[] retained = new double[policies.size()];
		try (NDManager base = this.model.newRequestManager()) {
			KvCache prefilled = this.model.newCache(base, n);
			int first;
			try (NDManager step = base.newSubManager()) {
				NDArray features = this.model.imageFeatures(this.model.pixelValues(step, images));
				NDArray embeddings = this.model.inputEmbeddings(step, prompt, features);
				first = Sampler.argmax(this.model
					.forward(step, embeddings, prefilled, 0, new CompositeObserver(runs, n), false)
					.toFloatArray());
			}
			for (int i = 0; i < policies.size(); i++) {
				EvaluatedPolicy p = policies.get(i);
				try (NDManager scope = base.newSubManager()) {
					KvCache cache = prefilled.copy(scope, maxTokens);
					CompressionReport report = CacheCompressor.apply(cache, runs.get(i), p.policy(), p.options(),
							prompt.layout(), maxTokens);
					retained[i] = report.kvBytesAfter() / (double) report.kvBytesBefore();
					List<Long> tokens = new ArrayList<>();
					int token = first;
					while (!eos.contains(token) && tokens.size() < maxTokens) {
						tokens.add((long) token);
						try (NDManager stepScope = scope.newSubManager()) {
							NDArray embedding = this.model.embedTokens(stepScope, token);
							token = Sampler.argmax(this.model
								.forward(stepScope, embedding, cache, n + tokens.size() - 1,
										dev.vlcache.core.text.AttentionObserver.NONE, false)
								.toFloatArray());
						}
					}
					String answer = this.model.tokenizer()
						.decode(tokens.stream().mapToLong(Long::longValue).toArray())
						.trim();
					answers.add(answer);
					scores[i] = sample.kind().shortAnswer() ? Scoring.exactMatch(answer, sample.answer())
							: Scoring.tokenF1(answer, sample.answer());
				}
			}
		}
		return new Outcome(sample, answers, scores, retained);
	}

}
