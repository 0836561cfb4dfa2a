package dev.vlcache.autoconfigure;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.vlcache.ai.VlCacheBusyException;
import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.core.LlavaModel;

import static org.assertj.core.api.Assertions.assertThat;

class VlCacheActuatorAutoConfigurationTest {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VlCacheChatAutoConfiguration.class, VlCacheActuatorAutoConfiguration.class))
		.withPropertyValues("spring.ai.vlcache.model=" + TestFixtures.checkpoint());

	@Test
	void healthIsUpWithDetailsThenDownWhenTheModelIsClosed() {
		this.runner.run(context -> {
			VlCacheHealthIndicator indicator = context.getBean(VlCacheHealthIndicator.class);
			Health up = indicator.health(true);
			assertThat(up.getStatus()).isEqualTo(Status.UP);
			assertThat(up.getDetails()).containsKeys("model", "device", "dtype", "parameters", "kvCacheBytes");
			context.getBean(LlavaModel.class).close();
			Health down = indicator.health(true);
			assertThat(down.getStatus()).isEqualTo(Status.DOWN);
			assertThat(down.getDetails().get("reason")).isEqualTo("the model has been closed");
		});
	}

	@Test
	void healthIsDownOnceTheSchedulerHasStopped() {
		this.runner.run(context -> {
			VlCacheHealthIndicator indicator = context.getBean(VlCacheHealthIndicator.class);
			assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
			context.getBean(VlCacheChatModel.class).shutdown();
			Health down = indicator.health(true);
			assertThat(down.getStatus()).isEqualTo(Status.DOWN);
			assertThat(down.getDetails().get("reason")).isEqualTo("the request scheduler has stopped");
		});
	}

	@Test
	void repeatedEngineFailuresMarkDownButBadInputDoesNot() {
		this.runner.run(context -> {
			VlCacheHealthIndicator indicator = context.getBean(VlCacheHealthIndicator.class);
			for (int i = 0; i < 5; i++) {
				indicator.onError("vl-cache", new IllegalArgumentException("corrupt image"));
			}
			assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
			for (int i = 0; i < VlCacheHealthIndicator.FAILURES_FOR_DOWN; i++) {
				indicator.onError("vl-cache", new IllegalStateException("native out of memory"));
			}
			Health down = indicator.health(true);
			assertThat(down.getStatus()).isEqualTo(Status.DOWN);
			assertThat((String) down.getDetails().get("reason")).contains("native out of memory");
		});
	}

	@Test
	void rejectionsAndErrorsAreCounted() {
		this.runner.run(context -> {
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			VlCacheMetrics metrics = context.getBean(VlCacheMetrics.class);
			metrics.bindTo(registry);
			metrics.onRejected("vl-cache");
			metrics.onError("h2o", new IllegalArgumentException("x"));
			assertThat(registry.get("vlcache.requests").tag("outcome", "rejected").tag("policy", "vl-cache").counter().count())
				.isEqualTo(1);
			assertThat(registry.get("vlcache.requests").tag("outcome", "error").tag("policy", "h2o").counter().count())
				.isEqualTo(1);
			assertThat(new VlCacheBusyException("busy", java.time.Duration.ofMillis(10)).getRetryAfter()).hasMillis(10);
		});
	}

	@Test
	void healthIndicatorCanBeDisabled() {
		this.runner.withPropertyValues("management.health.vlcache.enabled=false")
			.run(context -> assertThat(context).doesNotHaveBean(VlCacheHealthIndicator.class)
				.hasSingleBean(VlCacheMetrics.class));
	}

	@Test
	void nothingWithoutTheChatModel() {
		this.runner.withPropertyValues("spring.ai.model.chat=none")
			.run(context -> assertThat(context).doesNotHaveBean(VlCacheHealthIndicator.class)
				.doesNotHaveBean(VlCacheMetrics.class)
				.doesNotHaveBean(VlCacheEndpoint.class));
	}

}
