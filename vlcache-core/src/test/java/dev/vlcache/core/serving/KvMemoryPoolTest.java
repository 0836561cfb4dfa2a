package dev.vlcache.core.serving;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvMemoryPoolTest {

	@Test
	void reservesUpToTheBudgetAndTakesBackWhatIsReleased() {
		KvMemoryPool pool = new KvMemoryPool(1000);
		assertThat(pool.tryReserve(600)).isTrue();
		assertThat(pool.tryReserve(401)).isFalse();
		assertThat(pool.tryReserve(400)).isTrue();
		assertThat(pool.reserved()).isEqualTo(1000);
		pool.release(540);
		assertThat(pool.tryReserve(540)).isTrue();
		assertThatThrownBy(() -> pool.release(1001)).isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("1001 of 1000");
		assertThatThrownBy(() -> new KvMemoryPool(0)).hasMessageContaining("must be positive");
	}

	@Test
	void theDefaultBudgetOnTheCpuIsAQuarterOfTheMachine() {
		long budget = KvMemoryPool.defaultBudget(Device.cpu());
		long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
			.getOperatingSystemMXBean()).getTotalMemorySize();
		assertThat(budget).isEqualTo((long) (0.25 * total));
	}

}
