package dev.vlcache.core.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.ModelOptions;
import dev.vlcache.core.RandomCheckpoint;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.compression.KeepPlan;
import dev.vlcache.core.compression.ScoringWindow;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.template.ChatMessage;
import dev.vlcache.core.tokenizer.EncodedPrompt;

import static org.assertj.core.api.Assertions.assertThat;

/** Attention computed in small blocks of query rows gives what one block gives, observers included. */
class AttentionBlockingTest {

	private record Outcome(float[] logits, KeepPlan plan) {
	}

	private static Outcome run(LlavaModel model) {
		try (NDManager scope = model.newRequestManager()) {
			int[][] planes = new int[3][32 * 32];
			for (int i = 0; i < planes[0].length; i++) {
				planes[0][i] = (i * 7) % 256;
				planes[1][i] = (i * 13) % 256;
				planes[2][i] = (i * 29) % 256;
			}
			List<RgbImage> images = List.of(new RgbImage(32, 32, planes), new RgbImage(32, 32, planes));
			EncodedPrompt prompt = model.promptEncoder().encode(List.of(ChatMessage.user("what color is the circle ?", 2)),
					true, 0);
			KvCache cache = model.newCache(scope, prompt.length());
			CompressionRun run = CompressionPolicies.get("h2o").begin(prompt.layout(),
					CompressionOptions.builder().policy("h2o").budgetRatio(0.3).build(), model.numLayers());
			CompressionRun vl = CompressionPolicies.get("vl-cache").begin(prompt.layout(),
					CompressionOptions.builder().budgetRatio(0.3).scoringWindow(ScoringWindow.of(9)).build(),
					model.numLayers());
			AttentionObserver both = new AttentionObserver() {
				@Override
				public int firstObservedRow(int promptLength) {
					return 0;
				}

				@Override
				public void onProbabilities(int layer, int firstRow, NDArray probabilities) {
					run.onProbabilities(layer, firstRow, probabilities);
					int own = vl.firstObservedRow(prompt.length());
					int rows = (int) probabilities.getShape().get(1);
					if (own < firstRow + rows) {
						int skip = Math.max(0, own - firstRow);
						vl.onProbabilities(layer, firstRow + skip,
								probabilities.get(new ai.djl.ndarray.index.NDIndex(":, {}:, :", skip)));
					}
				}
			};
			NDArray features = model.imageFeatures(model.pixelValues(scope, images));
			float[] logits = model.forward(scope, model.inputEmbeddings(scope, prompt, features), cache, 0, both, true)
				.toFloatArray();
			KeepPlan h2o = run.plan();
			KeepPlan plan = vl.plan();
			return new Outcome(logits, new KeepPlan(new int[][] { h2o.kept()[0], plan.kept()[1] }, plan.budgets(),
					plan.sparsity(), plan.scoringWindow(), 0, null));
		}
	}

	@Test
	void blockedAttentionEqualsOneBlock(@TempDir Path dir) throws IOException {
		try (LlavaModel model = LlavaModel.load(new RandomCheckpoint("qwen2", "clip_vision_model").write(dir),
				new ModelOptions("cpu", "float32"))) {
			Outcome whole = run(model);
			long saved = DecoderLayer.scoresPerBlock;
			Outcome blocked;
			try {
				DecoderLayer.scoresPerBlock = 4 * 50; // a few query rows per block
				blocked = run(model);
			}
			finally {
				DecoderLayer.scoresPerBlock = saved;
			}
			for (int i = 0; i < whole.logits().length; i++) {
				assertThat((double) blocked.logits()[i]).isCloseTo(whole.logits()[i],
						org.assertj.core.data.Offset.offset(1e-4));
			}
			assertThat(blocked.plan().kept()[0]).as("h2o: scores summed over all rows").containsExactly(whole.plan().kept()[0]);
			assertThat(blocked.plan().kept()[1]).as("vl-cache: window rows").containsExactly(whole.plan().kept()[1]);
			assertThat(blocked.plan().sparsity()[1]).isCloseTo(whole.plan().sparsity()[1],
					org.assertj.core.data.Offset.offset(1e-9));
			assertThat(blocked.plan().budgets()).containsExactly(whole.plan().budgets());
		}
	}

}
