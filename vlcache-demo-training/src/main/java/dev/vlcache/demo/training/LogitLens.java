package dev.vlcache.demo.training;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.testsupport.CommandLineArguments;
import dev.vlcache.core.template.ChatTemplate;
import dev.vlcache.core.tokenizer.PromptEncoder;
import dev.vlcache.core.tokenizer.TextTokenizer;
import dev.vlcache.demo.model.DemoModel;
import dev.vlcache.demo.task.Glyphs;
import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

/**
 * A logit lens on letter answers: the decoder's residual stream, at its input and after each layer, read through
 * the final norm and the tied LM head, as if the model ended there. At two places: the row that predicts the
 * letter, and the image token of the coloured shape the letter is written on (when the pages hold one coloured
 * shape only). It showed why letters were often never learnt: the shape's token carried its letter into the
 * decoder, and a randomly started layer 0 overwrote it before the copier read it.
 *
 * <pre>
 * mvn -q -pl vlcache-demo-training exec:java -Dexec.mainClass=dev.vlcache.demo.training.LogitLens \
 *     -Dexec.args="--model FOLDER --seed 8080 --conversations 100"
 * </pre>
 *
 * {@code --model} defaults to the embedded demo model. Conversations are drawn as in training, eight questions
 * about one to four pages each, without simulated evictions.
 */
public final class LogitLens {

	private LogitLens() {
	}

	/**
	 * Readings at one place in the stream, indexed by depth: 0 is the decoder's input, {@code l + 1} the output of
	 * layer {@code l}.
	 * @param count letter answers read
	 * @param top share of them whose right letter has the largest logit of the letters
	 * @param margin mean of the right letter's logit less the largest other letter's
	 */
	record Reading(int count, double[] top, double[] margin) {
	}

	/**
	 * @param answers at the rows that predict a letter answer
	 * @param shapes at the coloured shape's image token, for answers whose pages hold one coloured shape
	 */
	record Result(Reading answers, Reading shapes) {
	}

	public static void main(String[] args) {
		CommandLineArguments o = CommandLineArguments
			.command("LogitLens", "Reads the decoder's residual stream after each layer at letter answers.")
			.option("model", "DIR", "checkpoint folder (default the embedded demo model)")
			.option("seed", "N", "task seed of the conversations (default 8080)")
			.option("conversations", "N", "conversations read (default 100)")
			.parseOrExit(args);
		Path folder = o.containsKey("model") ? Paths.get(o.get("model")) : new DemoModel().folder();
		long seed = Long.parseLong(o.getOrDefault("seed", "8080"));
		int conversations = Integer.parseInt(o.getOrDefault("conversations", "100"));
		Result r = measure(folder, seed, conversations);
		int depths = r.answers().top().length;
		StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-40s %7s", "", "input"));
		for (int l = 0; l < depths - 1; l++) {
			header.append(String.format(Locale.ROOT, " %7s", "layer " + l));
		}
		System.out.printf(Locale.ROOT, "Logit lens on %s: %d conversations of seed %d%n%s%n", folder, conversations,
				seed, header);
		print("answer row (" + r.answers().count() + "), right letter on top", r.answers().top());
		print("answer row, margin", r.answers().margin());
		print("shape token (" + r.shapes().count() + "), right letter on top", r.shapes().top());
		print("shape token, margin", r.shapes().margin());
	}

	private static void print(String label, double[] values) {
		StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s", label));
		for (double v : values) {
			line.append(String.format(Locale.ROOT, " %7.2f", v));
		}
		System.out.println(line);
	}

	/** Reads the letter answers of {@code conversations} conversations drawn from {@code seed}. */
	static Result measure(Path folder, long seed, int conversations) {
		LlavaConfig config = ConfigParser.parse(folder);
		ImageProcessor processor = ImageProcessor.load(folder);
		int depths = config.text().numLayers() + 1;
		Tally answers = new Tally(depths);
		Tally shapes = new Tally(depths);
		try (TextTokenizer tokenizer = TextTokenizer.load(folder);
				NDManager root = NDManager.newBaseManager("PyTorch");
				TrainableLlava model = new TrainableLlava(config, root, 0)) {
			model.load(folder.resolve("model.safetensors"));
			PromptEncoder encoder = new PromptEncoder(tokenizer, ChatTemplate.load(folder), config.imageTokenId(),
					Scene.CELLS * Scene.CELLS, config.text().maxPositionEmbeddings());
			long[] letters = Glyphs.words().stream().mapToLong(w -> singleToken(tokenizer, w)).toArray();
			TaskGenerator generator = new TaskGenerator(seed);
			for (int c = 0; c < conversations; c++) {
				List<TaskSample> conversation = generator.conversation(8);
				TrainingBatch batch = TrainingBatch.of(List.of(conversation), encoder, processor,
						config.imageTokenId());
				List<Long> answerRows = new ArrayList<>();
				List<Long> answerTargets = new ArrayList<>();
				List<Long> shapeRows = new ArrayList<>();
				List<Long> shapeTargets = new ArrayList<>();
				for (int i = 0; i < batch.targets().length; i++) {
					if (batch.kinds()[i] != QuestionKind.LETTER) {
						continue;
					}
					long row = batch.targetPositions()[i];
					answerRows.add(row);
					answerTargets.add(batch.targets()[i]);
					long token = onlyEvidence(batch, row);
					if (token >= 0) {
						shapeRows.add(token);
						shapeTargets.add(batch.targets()[i]);
					}
				}
				if (answerRows.isEmpty()) {
					continue;
				}
				try (NDManager scope = root.newSubManager()) {
					List<NDArray> stream = model.residualStream(scope, batch);
					for (int depth = 0; depth < depths; depth++) {
						answers.add(depth, read(model, scope, stream.get(depth), answerRows), answerTargets, letters);
						shapes.add(depth, read(model, scope, stream.get(depth), shapeRows), shapeTargets, letters);
					}
				}
			}
		}
		return new Result(answers.reading(), shapes.reading());
	}

	/** Logits at {@code rows} of the flattened stream, one row of the vocabulary each. */
	private static float[][] read(TrainableLlava model, NDManager scope, NDArray hidden, List<Long> rows) {
		if (rows.isEmpty()) {
			return new float[0][];
		}
		long d = hidden.getShape().get(2);
		NDArray picked = hidden.reshape(-1, d)
			.get(new NDIndex("{}", scope.create(rows.stream().mapToLong(Long::longValue).toArray())));
		NDArray logits = model.readOut(picked);
		int vocab = (int) logits.getShape().get(1);
		float[] flat = logits.toFloatArray();
		float[][] out = new float[rows.size()][];
		for (int i = 0; i < out.length; i++) {
			out[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
		}
		return out;
	}

	/**
	 * The flattened position of the single image token that grounds the answer predicted at {@code row}, or -1 when
	 * the pages hold more than one coloured shape.
	 */
	private static long onlyEvidence(TrainingBatch batch, long row) {
		int length = batch.length();
		for (int g = 0; g < batch.groundPositions().length; g++) {
			if (batch.groundPositions()[g] != row) {
				continue;
			}
			long found = -1;
			int count = 0;
			for (int t = 0; t < length; t++) {
				if (batch.evidence()[g * length + t] > 0) {
					found = row / length * length + t;
					count++;
				}
			}
			return count == 1 ? found : -1;
		}
		return -1;
	}

	private static long singleToken(TextTokenizer tokenizer, String word) {
		long[] ids = tokenizer.encode(word, false);
		if (ids.length != 1) {
			throw new IllegalStateException("'" + word + "' is not one token of this tokenizer");
		}
		return ids[0];
	}

	/** Running sums for one place in the stream. */
	private static final class Tally {

		private final double[] top;

		private final double[] margin;

		private int count;

		Tally(int depths) {
			this.top = new double[depths];
			this.margin = new double[depths];
		}

		void add(int depth, float[][] logits, List<Long> targets, long[] letters) {
			for (int i = 0; i < logits.length; i++) {
				long target = targets.get(i);
				double best = Double.NEGATIVE_INFINITY;
				for (long letter : letters) {
					if (letter != target) {
						best = Math.max(best, logits[i][(int) letter]);
					}
				}
				double right = logits[i][(int) target];
				this.top[depth] += right > best ? 1 : 0;
				this.margin[depth] += right - best;
			}
			if (depth == 0) {
				this.count += logits.length;
			}
		}

		Reading reading() {
			double[] t = new double[this.top.length];
			double[] m = new double[this.margin.length];
			for (int d = 0; d < t.length; d++) {
				t[d] = this.top[d] / Math.max(1, this.count);
				m[d] = this.margin[d] / Math.max(1, this.count);
			}
			return new Reading(this.count, t, m);
		}

	}

}
