package dev.vlcache.demo.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import dev.vlcache.testsupport.CommandLineArguments;
import dev.vlcache.testsupport.SafetensorsWriter;
import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.template.ChatTemplate;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.core.tokenizer.TextTokenizer;
import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

/**
 * Trains the demo model from scratch on the synthetic task and writes it as a Hugging Face checkpoint.
 *
 * <pre>
 * mvn -q install -DskipTests
 * mvn -q -pl vlcache-demo-training exec:java -Dexec.mainClass=dev.vlcache.demo.training.Trainer
 * </pre>
 *
 * Stage 1 aligns the vision tower with the word embeddings ({@link VisionPretraining}); stage 2 trains the decoder
 * on conversations about the task's pages with what stage 1 aligned frozen (unless {@code --release-at} lets
 * projector and embeddings learn from some step on), minimising the answer loss (weighted by
 * {@link KindEmphasis}) plus a grounding loss on attention ({@link TrainableLlava#groundingLoss}); half the
 * conversations finish their short answers under a simulated eviction, which from {@code --blind-from} on (step
 * 4500 by default) may also take the shapes from one layer ({@link TrainingBatch}). The seed fixes
 * the data, the initial weights and the batch order, and so the weights, bit for bit, on a given machine and libtorch
 * build ({@code TrainerTest}); see {@link TrainableLlava#scalar} for what once made them follow the garbage collector.
 */
public final class Trainer {

	/**
	 * The seed of the shipped model, chosen among seeds 1, 2 and 4 by VL-Cache's accuracy at 10% on 300 validation
	 * questions of seed 8080 (none of the test seeds): 98.0% with seed 2, the full cache's accuracy too; 94.9% with
	 * seed 1 and 94.1% with seed 4, 3.1 and 5.1 points below their full caches.
	 */
	static final long SHIPPED_SEED = 2;

	/** Where the shipped checkpoint lives, relative to the repository root. */
	public static final String SHIPPED = "vlcache-demo-model/src/main/resources/dev/vlcache/demo/model";

	private final Options options;

	/**
	 * Training options.
	 * @param seed seed of the training data and the initial weights
	 * @param steps optimiser steps
	 * @param tokensPerBatch tokens per batch (sequences x padded length, about)
	 * @param turns questions per training conversation
	 * @param learningRate peak learning rate
	 * @param warmup linear warm-up steps
	 * @param logEvery steps between progress lines
	 * @param visionSteps stage-1 steps aligning image tokens with word embeddings
	 * @param releaseStep the stage-2 step from which projector and embeddings learn too (beyond {@code steps}:
	 *        never)
	 * @param blindStep the stage-2 step from which a simulated eviction may take the coloured shapes from one layer
	 *        ({@link TrainingBatch}; beyond {@code steps}: never)
	 */
	public record Options(long seed, int steps, int tokensPerBatch, int turns, double learningRate, int warmup,
			int logEvery, int visionSteps, int releaseStep, int blindStep) {
	}

	public Trainer(Options options) {
		this.options = options;
	}

	public static void main(String[] args) throws IOException {
		CommandLineArguments o = CommandLineArguments.command("Trainer", "Trains the demo model from scratch.")
			.option("seed", "N", "data, initial weights and batch order (default " + SHIPPED_SEED + ")")
			.option("steps", "N", "stage-2 steps (default 9000)")
			.option("tokens-per-batch", "N", "tokens per batch (default 2000)")
			.option("turns", "N", "questions per conversation (default 8)")
			.option("learning-rate", "X", "peak learning rate (default 2e-3)")
			.option("warmup", "N", "warm-up steps (default 100)")
			.option("log-every", "N", "steps between log lines (default 100)")
			.option("vision-steps", "N", "stage-1 alignment steps (default 1500)")
			.option("release-at", "N|never", "step from which projector and embeddings learn (default never)")
			.option("blind-from", "N|never", "step from which one layer goes blind in drilled answers (default 4500)")
			.option("out", "DIR", "where the trained checkpoint is written (default the demo model's resources)")
			.option("work", "DIR", "scratch folder (default target/demo-training)")
			.parseOrExit(args);
		Options options = new Options(Long.parseLong(o.getOrDefault("seed", String.valueOf(SHIPPED_SEED))),
				Integer.parseInt(o.getOrDefault("steps", "9000")),
				Integer.parseInt(o.getOrDefault("tokens-per-batch", "2000")),
				Integer.parseInt(o.getOrDefault("turns", "8")),
				Double.parseDouble(o.getOrDefault("learning-rate", "2e-3")),
				Integer.parseInt(o.getOrDefault("warmup", "100")), Integer.parseInt(o.getOrDefault("log-every", "100")),
				Integer.parseInt(o.getOrDefault("vision-steps", "1500")),
				step(o.getOrDefault("release-at", "never")), step(o.getOrDefault("blind-from", "4500")));
		Path out = Paths.get(o.getOrDefault("out", SHIPPED));
		Path work = Paths.get(o.getOrDefault("work", "target/demo-training"));
		long start = System.nanoTime();
		Path checkpoint = new Trainer(options).train(DemoArchitecture.DEFAULT, work.resolve("checkpoint"));
		Files.createDirectories(out);
		try (var files = Files.list(checkpoint)) {
			for (Path f : files.toList()) {
				Files.copy(f, out.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
			}
		}
		System.out.printf(Locale.ROOT, "Wrote %s in %.1f min%n", out, (System.nanoTime() - start) / 60e9);
	}

	/**
	 * {@code --release-at} (default "never": a release cost every kind 0.1-0.2 for 900+ steps) and
	 * {@code --blind-from}: a step, or "never".
	 */
	private static int step(String value) {
		return value.equals("never") ? Integer.MAX_VALUE : Integer.parseInt(value);
	}

	/** Trains a model of shape {@code architecture} and writes its checkpoint into {@code dir}. */
	public Path train(DemoArchitecture architecture, Path dir) throws IOException {
		architecture.writeFiles(dir);
		LlavaConfig config = ConfigParser.parse(dir);
		TaskGenerator generator = new TaskGenerator(this.options.seed());
		SplittableRandom batchRandom = new SplittableRandom(this.options.seed() * 31 + 7);
		// Its own stream, so that which conversations simulate an eviction does not shift the batches.
		SplittableRandom evictionRandom = new SplittableRandom(this.options.seed() * 31 + 11);
		// And which layer loses the shapes its own again, so that the steps before blindStep do not depend on it.
		SplittableRandom blindRandom = new SplittableRandom(this.options.seed() * 31 + 13);
		ImageProcessor processor = ImageProcessor.load(dir);
		int tokensPerImage = Scene.CELLS * Scene.CELLS;
		try (TextTokenizer tokenizer = TextTokenizer.load(dir);
				NDManager root = NDManager.newBaseManager("PyTorch");
				TrainableLlava model = new TrainableLlava(config, root, this.options.seed())) {
			PromptEncoder encoder = new PromptEncoder(tokenizer, ChatTemplate.load(dir), config.imageTokenId(),
					tokensPerImage, config.text().maxPositionEmbeddings());
			alignVision(model, root, generator, processor);
			model.freezeAlignedInputs();
			KindEmphasis emphasis = new KindEmphasis();
			AdamW optimizer = new AdamW(root, model.parameters(), 0.9, 0.98, 1e-8, 0.01, 1.0);
			NDArray[] attached = attachable(model, optimizer);
			Curriculum curriculum = new Curriculum(this.options.steps());
			double lossSum = 0;
			double groundingSum = 0;
			// Answer words predicted right, per question kind, since the last progress line.
			long[] correct = new long[QuestionKind.values().length];
			long[] targets = new long[correct.length];
			long started = System.nanoTime();
			for (int step = 1; step <= this.options.steps(); step++) {
				if (step == this.options.blindStep()) {
					System.out.printf(Locale.ROOT,
							"step %d: a simulated eviction may take the shapes from one layer from here%n", step);
				}
				if (step == this.options.releaseStep()) {
					// What the frozen inputs taught is kept beside the final checkpoint, then the inputs learn too.
					Path frozen = dir.resolveSibling(dir.getFileName() + "-before-release");
					architecture.writeFiles(frozen);
					SafetensorsWriter.write(frozen.resolve("model.safetensors"), model.tensors());
					model.releaseAlignedInputs();
					optimizer.track(root, model.parameters());
					attached = attachable(model, optimizer);
					System.out.printf(Locale.ROOT, "step %d: projector and embeddings learn from here (checkpoint so far in %s)%n",
							step, frozen);
				}
				int images = batchRandom.nextBoolean() ? 1 : 2 + batchRandom.nextInt(3);
				int perSequence = images * tokensPerImage + 16 * this.options.turns();
				int sequences = Math.max(1, this.options.tokensPerBatch() / perSequence);
				List<List<TaskSample>> conversations = new ArrayList<>();
				int maxObjects = curriculum.maxObjects();
				for (int i = 0; i < sequences; i++) {
					conversations.add(generator.conversation(this.options.turns(), images, maxObjects));
				}
				TrainingBatch batch = TrainingBatch.of(conversations, encoder, processor,
						config.imageTokenId(), config.text().numLayers(), evictionRandom,
						step >= this.options.blindStep() ? blindRandom : null);
				try (NDManager scope = root.newSubManager()) {
					scope.tempAttachAll(attached);
					NDArray logits;
					NDArray loss;
					try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
						TrainableLlava.Output output = model.forwardWithGrounding(scope, batch);
						logits = output.logits();
						loss = TrainableLlava.loss(logits, batch, emphasis.weights(batch));
						NDArray grounding = TrainableLlava.groundingLoss(output);
						groundingSum += grounding.getFloat();
						collector.backward(TrainableLlava.objective(loss, grounding));
					}
					// Progress and the curriculum follow the plain loss, every answer alike, not the emphasised one.
					float lossValue = TrainableLlava.loss(logits, batch).getFloat();
					if (!Float.isFinite(lossValue)) {
						throw new IllegalStateException("The training loss is " + lossValue + " at step " + step
								+ "; lower --learning-rate");
					}
					lossSum += lossValue;
					if (curriculum.observe(step, lossValue)) {
						System.out.printf(Locale.ROOT, "step %d: curriculum now allows %s objects per page%n", step,
								curriculum.maxObjects() == Integer.MAX_VALUE ? "all" : curriculum.maxObjects());
					}
					long[] predicted = logits.argMax(-1).toLongArray();
					int[][] tally = emphasis.observe(batch, predicted);
					for (int k = 0; k < correct.length; k++) {
						correct[k] += tally[0][k];
						targets[k] += tally[1][k];
					}
					double norm = optimizer.update(scope, model.parameters(), learningRate(step, this.options.steps()));
					if (!Double.isFinite(norm)) {
						System.out.printf(Locale.ROOT, "step %d: gradient norm %s, update skipped%n", step, norm);
					}
				}
				if (step % this.options.logEvery() == 0 || step == this.options.steps()) {
					double elapsed = (System.nanoTime() - started) / 1e9;
					StringBuilder perKind = new StringBuilder();
					for (QuestionKind k : QuestionKind.values()) {
						perKind.append(String.format(Locale.ROOT, " %s %.2f", k.name().toLowerCase(Locale.ROOT),
								correct[k.ordinal()] / (double) Math.max(1, targets[k.ordinal()])));
					}
					System.out.printf(Locale.ROOT,
							"step %5d/%d  loss %.4f  grounding %.3f  answer words right:%s  lr %.2e  %.0f s elapsed, ~%.0f s left%n",
							step, this.options.steps(), lossSum / this.options.logEvery(),
							groundingSum / this.options.logEvery(), perKind,
							learningRate(step, this.options.steps()), elapsed,
							elapsed / step * (this.options.steps() - step));
					lossSum = 0;
					groundingSum = 0;
					java.util.Arrays.fill(correct, 0);
					java.util.Arrays.fill(targets, 0);
				}
			}
			SafetensorsWriter.write(dir.resolve("model.safetensors"), model.tensors());
		}
		return dir;
	}

	private static NDArray[] attachable(TrainableLlava model, AdamW optimizer) {
		List<NDArray> all = new ArrayList<>(model.parameters().values());
		all.addAll(List.of(optimizer.states()));
		return all.toArray(NDArray[]::new);
	}

	/** Stage 1: aligns the vision tower and projector with the word embeddings (see {@link VisionPretraining}). */
	private void alignVision(TrainableLlava model, NDManager root, TaskGenerator generator, ImageProcessor processor) {
		if (this.options.visionSteps() <= 0) {
			return;
		}
		AdamW optimizer = new AdamW(root, model.parameters(), 0.9, 0.98, 1e-8, 0.0, 1.0);
		NDArray[] attached = attachable(model, optimizer);
		double sum = 0;
		long started = System.nanoTime();
		// Held-out pages from their own seed, so that the probe does not consume the training data's stream.
		TaskGenerator probeScenes = new TaskGenerator(this.options.seed() * 31 + 11);
		for (int step = 1; step <= this.options.visionSteps(); step++) {
			List<Scene> scenes = new ArrayList<>();
			for (int i = 0; i < 16; i++) {
				scenes.add(generator.scene(4 + i % 5, 1 + i % 3));
			}
			try (NDManager scope = root.newSubManager()) {
				scope.tempAttachAll(attached);
				NDArray loss;
				try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
					loss = VisionPretraining.loss(scope, model, scenes, processor);
					collector.backward(loss);
				}
				sum += loss.getFloat();
				optimizer.update(scope, model.parameters(), learningRate(step, this.options.visionSteps()));
			}
			if (step % this.options.logEvery() == 0 || step == this.options.visionSteps()) {
				System.out.printf(Locale.ROOT, "vision step %4d/%d  alignment loss %.4f  nearest word:%s  %.0f s elapsed%n",
						step, this.options.visionSteps(), sum / this.options.logEvery(),
						probe(model, root, attached, probeScenes, processor),
						(System.nanoTime() - started) / 1e9);
				sum = 0;
			}
		}
	}

	/** {@link VisionPretraining#probe} on 16 fresh pages, as a log fragment. */
	private static String probe(TrainableLlava model, NDManager root, NDArray[] attached, TaskGenerator pages,
			ImageProcessor processor) {
		Map<String, Double> probe;
		try (NDManager scope = root.newSubManager()) {
			scope.tempAttachAll(attached);
			List<Scene> held = new ArrayList<>();
			for (int i = 0; i < 16; i++) {
				held.add(pages.scene(8, 1 + i % 3));
			}
			probe = VisionPretraining.probe(scope, model, held, processor);
		}
		StringBuilder named = new StringBuilder();
		probe.forEach((k, v) -> named.append(String.format(Locale.ROOT, " %s %.2f", k, v)));
		return named.toString();
	}

	/**
	 * Linear warm-up, then cosine decay to a tenth of the peak at step {@code steps}. Stage 1 needs the decay too:
	 * at a constant rate its alignment degrades again after it has converged.
	 */
	double learningRate(int step, int steps) {
		double peak = this.options.learningRate();
		if (step <= this.options.warmup()) {
			return peak * step / this.options.warmup();
		}
		double progress = (step - this.options.warmup()) / (double) Math.max(1, steps - this.options.warmup());
		return peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
	}


}
