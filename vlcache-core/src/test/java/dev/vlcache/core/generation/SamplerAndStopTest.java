package dev.vlcache.core.generation;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerAndStopTest {

	private static final float[] LOGITS = { 1f, 5f, 3f, 4.5f, -2f };

	@Test
	void greedyTakesTheArgmax() {
		assertThat(new Sampler(SamplingOptions.GREEDY).next(LOGITS)).isEqualTo(1);
	}

	@Test
	void topKOneIsGreedyWhateverTheTemperature() {
		Sampler s = new Sampler(SamplingOptions.builder().temperature(5).topK(1).seed(1L).build());
		for (int i = 0; i < 50; i++) {
			assertThat(s.next(LOGITS)).isEqualTo(1);
		}
	}

	@Test
	void topPKeepsOnlyTheNucleus() {
		// p(1) and p(3) hold ~90% together at temperature 1; top-p 0.85 never goes beyond them
		Sampler s = new Sampler(SamplingOptions.builder().temperature(1).topP(0.85).seed(3L).build());
		java.util.Set<Integer> seen = new java.util.HashSet<>();
		for (int i = 0; i < 500; i++) {
			seen.add(s.next(LOGITS));
		}
		assertThat(seen).containsExactlyInAnyOrder(1, 3);
	}

	@Test
	void samplingFollowsTheDistribution() {
		Sampler s = new Sampler(SamplingOptions.builder().temperature(1).seed(11L).build());
		int[] counts = new int[LOGITS.length];
		for (int i = 0; i < 20000; i++) {
			counts[s.next(LOGITS)]++;
		}
		double z = 0;
		for (float l : LOGITS) {
			z += Math.exp(l);
		}
		assertThat(counts[1] / 20000.0).isCloseTo(Math.exp(5) / z, org.assertj.core.data.Offset.offset(0.02));
		assertThat(counts[2] / 20000.0).isCloseTo(Math.exp(3) / z, org.assertj.core.data.Offset.offset(0.02));
	}

	@Test
	void invalidOptionsNameTheParameter() {
		assertThatThrownBy(() -> SamplingOptions.builder().temperature(-1).build()).hasMessageContaining("temperature");
		assertThatThrownBy(() -> SamplingOptions.builder().topP(0).build()).hasMessageContaining("top-p");
		assertThatThrownBy(() -> SamplingOptions.builder().topK(-3).build()).hasMessageContaining("top-k");
		assertThatThrownBy(() -> SamplingOptions.builder().maxNewTokens(0).build()).hasMessageContaining("max-tokens");
	}

	@Test
	void stopStringsAreHeldBackUntilDecided() {
		StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
		assertThat(m.add("hello E")).isEqualTo("hello ");
		assertThat(m.add("N")).isEmpty();
		assertThat(m.add("X")).isEqualTo("ENX");
		assertThat(m.add(" and EN")).isEqualTo(" and ");
		assertThat(m.add("D more")).isEmpty();
		assertThat(m.stopped()).isTrue();
		assertThat(m.text()).isEqualTo("hello ENX and ");
	}

	@Test
	void stopStringSplitAcrossPiecesIsFound() {
		StopSequenceMatcher m = new StopSequenceMatcher(List.of("</answer>", "\n\n"));
		StringBuilder out = new StringBuilder();
		for (String piece : List.of("The ", "cat", "</ans", "wer>", "ignored")) {
			out.append(m.add(piece));
			if (m.stopped()) {
				break;
			}
		}
		out.append(m.flush());
		assertThat(out.toString()).isEqualTo("The cat");
	}

}
