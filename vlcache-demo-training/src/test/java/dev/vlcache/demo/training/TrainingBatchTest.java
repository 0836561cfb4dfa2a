package dev.vlcache.demo.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.core.config.ConfigParser;
import dev.vlcache.core.config.LlavaConfig;
import dev.vlcache.demo.task.Colour;
import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.Scene;
import dev.vlcache.demo.task.SceneObject;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingBatchTest {

	/** Seed of the simulated evictions in the drill tests. */
	private static final long DRILL_SEED = 3;

	/** Eight conversations of eight turns, on one and two pages alternately: what the drill tests encode. */
	private static List<List<TaskSample>> drillConversations() {
		List<List<TaskSample>> conversations = new ArrayList<>();
		TaskGenerator generator = new TaskGenerator(21);
		for (int i = 0; i < 8; i++) {
			conversations.add(generator.conversation(8, 1 + i % 2, Integer.MAX_VALUE));
		}
		return conversations;
	}

	@Test
	void groundingPointsAtTheColouredShapesImageTokens(@TempDir Path dir) throws Exception {
		List<List<TaskSample>> conversations = new ArrayList<>();
		TaskGenerator generator = new TaskGenerator(12);
		for (int i = 0; i < 6; i++) {
			conversations.add(generator.conversation(4, 1 + i % 4, Integer.MAX_VALUE));
		}
		TrainingBatch batch = DemoBatches.of(dir, conversations);
		LlavaConfig config = ConfigParser.parse(dir);
		int length = batch.length();
		int expectedRows = 0;
		int row = 0;
		for (int s = 0; s < conversations.size(); s++) {
			List<TaskSample> conversation = conversations.get(s);
			// The image tokens of this sequence, in order: page after page, cells in reading order.
			List<Integer> imageTokens = new ArrayList<>();
			for (int t = 0; t < length; t++) {
				if (batch.ids()[s * length + t] == config.imageTokenId()) {
					imageTokens.add(t);
				}
			}
			List<Integer> coloured = new ArrayList<>();
			List<Scene> pages = conversation.get(0).scenes();
			for (int page = 0; page < pages.size(); page++) {
				for (SceneObject o : pages.get(page).objects()) {
					if (o.colour() != Colour.GRAY) {
						coloured.add(imageTokens.get(page * 256 + o.row() * Scene.CELLS + o.column()));
					}
				}
			}
			for (TaskSample sample : conversation) {
				if (sample.kind() == QuestionKind.DESCRIBE) {
					continue;
				}
				// One row per answer word: "top left" has two, "red" one.
				for (int word = 0; word < sample.answer().split(" ").length; word++) {
					expectedRows++;
					long position = batch.groundPositions()[row];
					assertThat(position / length).isEqualTo(s);
					// A ground position predicts an answer word: it is one of the answer targets.
					assertThat(batch.targetPositions()).contains(position);
					if (word > 0) {
						assertThat(position).isEqualTo(batch.groundPositions()[row - 1] + 1);
					}
					List<Integer> marked = new ArrayList<>();
					for (int t = 0; t < length; t++) {
						if (batch.evidence()[row * length + t] != 0) {
							marked.add(t);
						}
					}
					assertThat(marked).containsExactlyInAnyOrderElementsOf(coloured);
					row++;
				}
			}
		}
		assertThat(batch.groundPositions()).hasSize(expectedRows);
		assertThat(expectedRows).isGreaterThan(0);
	}

	@Test
	void aSimulatedEvictionHidesOnlyImageTokensAShortAnswerDoesNotNeedAndOnlyAfterItsFirstWord(@TempDir Path dir)
			throws Exception {
		List<List<TaskSample>> conversations = drillConversations();
		TrainingBatch plain = DemoBatches.of(dir, conversations);
		TrainingBatch drilled = DemoBatches.of(dir, conversations, new SplittableRandom(DRILL_SEED));
		assertThat(drilled.ids()).isEqualTo(plain.ids());
		assertThat(drilled.targetPositions()).isEqualTo(plain.targetPositions());
		int n = plain.length();
		LlavaConfig config = ConfigParser.parse(dir);
		int imageToken = config.imageTokenId();
		int layers = config.text().numLayers();
		Set<Long> targetRows = new HashSet<>();
		for (long p : plain.targetPositions()) {
			targetRows.add(p);
		}
		Set<Integer> evicted = new HashSet<>();
		int shortRows = 0;
		int shapesOnlyRows = 0;
		// Per layer: rows that still see the coloured shapes, rows that see no image token.
		int[] holding = new int[layers];
		int[] blind = new int[layers];
		float[][] plainMasks = new float[layers][];
		float[][] drilledMasks = new float[layers][];
		for (int l = 0; l < layers; l++) {
			plainMasks[l] = plain.mask(l);
			drilledMasks[l] = drilled.mask(l);
		}
		for (int s = 0; s < plain.sequences(); s++) {
			List<TaskSample> conversation = conversations.get(s);
			Set<Integer> coloured = new HashSet<>();
			List<Integer> imageTokens = new ArrayList<>();
			for (int t = 0; t < n; t++) {
				if (plain.ids()[s * n + t] == imageToken) {
					imageTokens.add(t);
				}
			}
			List<Scene> pages = conversation.get(0).scenes();
			for (int page = 0; page < pages.size(); page++) {
				for (SceneObject o : pages.get(page).objects()) {
					int t = imageTokens.get(page * 256 + o.row() * Scene.CELLS + o.column());
					if (o.colour() != Colour.GRAY) {
						coloured.add(t);
					}
				}
			}
			for (int row = 0; row < n; row++) {
				int row0 = row;
				long before = imageTokens.stream().filter(t -> t < row0).count();
				int blindLayers = 0;
				boolean drilledRow = false;
				Set<Integer> rowSees = null;
				for (int l = 0; l < layers; l++) {
					float[] plainMask = plainMasks[l];
					float[] drilledMask = drilledMasks[l];
					Set<Integer> seen = new HashSet<>();
					for (int col = 0; col < n; col++) {
						float p = plainMask[(s * n + row) * n + col];
						float d = drilledMask[(s * n + row) * n + col];
						// Without a drill the mask is causal, in every layer.
						assertThat(p).isEqualTo(col > row ? TrainingBatch.HIDDEN : 0f);
						if (d != p) {
							assertThat(imageTokens).contains(col);
						}
						if (col < row && d == 0 && imageTokens.contains(col)) {
							seen.add(col);
						}
					}
					if (seen.size() < before) {
						// Only rows that predict a short answer's token after its first word lose image tokens; in
						// each layer they see no image token, or the coloured shapes the answer is about and at most
						// a tenth of the others, the same ones in every such layer.
						long flat = (long) s * n + row;
						assertThat(targetRows).contains(flat, flat - 1);
						int most = coloured.size() + imageTokens.size() / 10;
						if (!seen.isEmpty()) {
							assertThat(seen).containsAll(coloured).hasSizeLessThanOrEqualTo(most);
							assertThat(rowSees == null ? seen : rowSees).isEqualTo(seen);
							rowSees = seen;
						}
						drilledRow = true;
						blindLayers += seen.isEmpty() ? 1 : 0;
						holding[l] += seen.isEmpty() ? 0 : 1;
						blind[l] += seen.isEmpty() ? 1 : 0;
					}
				}
				if (drilledRow) {
					// At most one layer lost the coloured shapes: the drill is of a cache that chose them.
					assertThat(blindLayers).isLessThanOrEqualTo(1);
					evicted.add(s);
					shortRows++;
					shapesOnlyRows += rowSees != null && rowSees.size() == coloured.size() ? 1 : 0;
				}
			}
		}
		// About one conversation in two; a short answer has one or two such rows, a description none.
		assertThat(evicted.size()).isBetween(1, plain.sequences() - 1);
		assertThat(shortRows).isBetween(evicted.size(), 8 * evicted.size());
		// Some drilled rows see the shapes alone, others bystanders too.
		assertThat(shapesOnlyRows).isBetween(1, shortRows - 1);
		// Each layer keeps the shapes for some drilled rows, and which layer loses them varies.
		for (int l = 0; l < layers; l++) {
			assertThat(holding[l]).as("layer %d holding", l).isPositive();
		}
		assertThat(java.util.Arrays.stream(blind).filter(c -> c > 0).count()).isGreaterThanOrEqualTo(2);
	}

	@Test
	void groundingIsNotAskedOfALayerThatLostTheEvidence(@TempDir Path dir) throws Exception {
		List<List<TaskSample>> conversations = drillConversations();
		int layers = DemoArchitecture.DEFAULT.layers();
		int ungrounded = 0;
		// Grounding positions beyond an answer's first word exist only in two-word answers (regions): draw blind
		// layers until one of those has lost its evidence somewhere, checking every batch drawn on the way.
		for (int seed = 0; seed < 100 && ungrounded == 0; seed++) {
			TrainingBatch drilled = DemoBatches.of(dir, conversations, new SplittableRandom(DRILL_SEED),
					new SplittableRandom(seed));
			ungrounded += ungroundedWhereHidden(drilled, layers);
		}
		assertThat(ungrounded).isPositive();
	}

	/**
	 * Asserts that each ground position is grounded in a layer exactly where that layer's mask shows it all of its
	 * evidence; returns how many (position, layer) pairs are not grounded.
	 */
	private static int ungroundedWhereHidden(TrainingBatch drilled, int layers) {
		int n = drilled.length();
		float[][] masks = new float[layers][];
		for (int l = 0; l < layers; l++) {
			masks[l] = drilled.mask(l);
		}
		int ungrounded = 0;
		for (int g = 0; g < drilled.groundPositions().length; g++) {
			long flat = drilled.groundPositions()[g];
			int s = (int) (flat / n);
			int row = (int) (flat % n);
			// The grounding evidence: columns marked 1.
			List<Integer> evidence = new ArrayList<>();
			for (int t = 0; t < n; t++) {
				if (drilled.evidence()[g * n + t] == 1) {
					evidence.add(t);
				}
			}
			assertThat(evidence).isNotEmpty();
			for (int l = 0; l < layers; l++) {
				float[] mask = masks[l];
				boolean visible = evidence.stream().allMatch(t -> mask[(s * n + row) * n + t] == 0);
				boolean hidden = evidence.stream().allMatch(t -> mask[(s * n + row) * n + t] == TrainingBatch.HIDDEN);
				assertThat(visible || hidden).isTrue();
				assertThat(drilled.grounds(g, l)).as("ground position %d, layer %d", g, l).isEqualTo(visible);
				ungrounded += visible ? 0 : 1;
			}
		}
		return ungrounded;
	}

	@Test
	void theBlindLayerIsMostOftenTheOneAdaptiveAllocationStarves() {
		int layers = 4;
		int draws = 16_000;
		int[] blind = new int[layers];
		int intact = 0;
		SplittableRandom random = new SplittableRandom(DRILL_SEED);
		for (int i = 0; i < draws; i++) {
			int keeping = TrainingBatch.layersKeeping(layers, random);
			int lost = Integer.bitCount(~keeping & ((1 << layers) - 1));
			assertThat(lost).isLessThanOrEqualTo(1);
			if (lost == 0) {
				intact++;
			}
			for (int l = 0; l < layers; l++) {
				blind[l] += (keeping >>> l & 1) == 0 ? 1 : 0;
			}
		}
		// Half keep everything; the first grounded layer loses the shapes in 1/4 + 1/16 of the draws, each other
		// layer in 1/16. The bounds are about five standard deviations either side.
		assertThat(intact).isBetween(7_700, 8_300);
		for (int l = 0; l < layers; l++) {
			if (l == TrainableLlava.FIRST_GROUNDED_LAYER) {
				assertThat(blind[l]).as("layer %d", l).isBetween(4_700, 5_300);
			}
			else {
				assertThat(blind[l]).as("layer %d", l).isBetween(850, 1_150);
			}
		}
		assertThat(TrainingBatch.layersKeeping(layers, null)).isEqualTo(0b1111);
	}

	@Test
	void halfTheDrilledAnswersAlsoKeepUpToATenthOfTheOtherImageTokensDrawnUniformly() {
		List<Integer> image = java.util.stream.IntStream.range(100, 612).boxed().toList();
		int[] shapes = { 105, 300, 450 };
		int draws = 4_000;
		int shapesOnly = 0;
		int[] picked = new int[612];
		long bystanders = 0;
		SplittableRandom random = new SplittableRandom(DRILL_SEED);
		for (int i = 0; i < draws; i++) {
			int[] kept = TrainingBatch.withBystanders(shapes, image, random);
			assertThat(java.util.Arrays.copyOf(kept, shapes.length)).containsExactly(shapes);
			int[] extra = java.util.Arrays.copyOfRange(kept, shapes.length, kept.length);
			assertThat(extra.length).isLessThanOrEqualTo(image.size() / 10);
			assertThat(extra).doesNotHaveDuplicates().doesNotContain(shapes);
			shapesOnly += extra.length == 0 ? 1 : 0;
			for (int t : extra) {
				assertThat(image).contains(t);
				picked[t]++;
			}
			bystanders += extra.length;
		}
		// Bounds about five standard deviations either side: half the draws keep the shapes alone; the others
		// keep 1 to 51 bystanders, 26 on average, each of the 509 other image tokens about equally often.
		assertThat(shapesOnly).isBetween(1_840, 2_160);
		assertThat(bystanders / (double) (draws - shapesOnly)).isBetween(24.5, 27.5);
		Set<Integer> shapeSet = java.util.Arrays.stream(shapes).boxed().collect(java.util.stream.Collectors.toSet());
		int[] counts = image.stream().filter(t -> !shapeSet.contains(t)).mapToInt(t -> picked[t]).toArray();
		double mean = java.util.Arrays.stream(counts).average().orElseThrow();
		double spread = 5 * Math.sqrt(mean);
		assertThat(java.util.Arrays.stream(counts).min().orElseThrow()).isGreaterThan((int) (mean - spread));
		assertThat(java.util.Arrays.stream(counts).max().orElseThrow()).isLessThan((int) (mean + spread));
		assertThat(TrainingBatch.withBystanders(shapes, image, null)).isSameAs(shapes);
	}

}
