package dev.vlcache.core.compression;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompressionOptionsTest {

	@Test
	void defaultsFollowVlcacheMd() {
		CompressionOptions o = CompressionOptions.builder().build();
		assertThat(o.policy()).isEqualTo("vl-cache");
		assertThat(o.budgetRatio()).isEqualTo(0.1);
		assertThat(o.scoringWindow().isAuto()).isTrue();
		assertThat(o.sparsityThreshold()).isEqualTo(0.01);
		assertThat(o.allocation()).isEqualTo(Allocation.ADAPTIVE);
		assertThat(o.hybridUniformShare()).isEqualTo(0.8);
	}

	@Test
	void mutateChangesOneField() {
		CompressionOptions o = CompressionOptions.builder().budgetRatio(0.2).build();
		CompressionOptions m = o.mutate().allocation(Allocation.HYBRID).build();
		assertThat(m.budgetRatio()).isEqualTo(0.2);
		assertThat(m.allocation()).isEqualTo(Allocation.HYBRID);
		assertThat(o.allocation()).isEqualTo(Allocation.ADAPTIVE);
	}

	@Test
	void invalidValuesNameParameterAndRange() {
		assertThatThrownBy(() -> CompressionOptions.builder().budgetRatio(0).build())
			.hasMessageContaining("budget-ratio 0.0").hasMessageContaining("(0, 1]");
		assertThatThrownBy(() -> CompressionOptions.builder().budgetRatio(1.5).build())
			.hasMessageContaining("budget-ratio 1.5");
		assertThatThrownBy(() -> CompressionOptions.builder().sparsityThreshold(1).build())
			.hasMessageContaining("sparsity-threshold").hasMessageContaining("(0, 1)");
		assertThatThrownBy(() -> CompressionOptions.builder().sparsityThreshold(0).build())
			.hasMessageContaining("sparsity-threshold");
		assertThatThrownBy(() -> CompressionOptions.builder().hybridUniformShare(-0.1).build())
			.hasMessageContaining("hybrid-uniform-share");
		assertThatThrownBy(() -> CompressionPolicies.get("magic")).hasMessageContaining("policy 'magic'")
			.hasMessageContaining("vl-cache").hasMessageContaining("h2o");
		assertThatThrownBy(() -> Allocation.parse("greedy")).hasMessageContaining("allocation 'greedy'");
	}

	@Test
	void everyBaselineIsRegistered() {
		assertThat(CompressionPolicies.names()).contains("full", "vl-cache", "streaming-llm", "h2o", "snapkv", "pyramidkv");
	}

}
