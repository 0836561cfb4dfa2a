package dev.vlcache.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.MimeTypeUtils;

import dev.vlcache.ai.CompressionMetadata;
import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheUsage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Boots an application on the auto-configuration with the shared fixture checkpoint, asks about an image through
 * {@link ChatModel}, and reads the response metadata, the meters, the health and the endpoints over HTTP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "management.endpoints.web.exposure.include=health,metrics,vlcache",
				"management.endpoint.health.show-details=always", "spring.ai.vlcache.compression.budget-ratio=0.25",
				"spring.ai.vlcache.chat.max-tokens=6" })
class StarterEndToEndTest {

	@SpringBootApplication
	static class App {

	}

	@DynamicPropertySource
	static void model(DynamicPropertyRegistry registry) {
		registry.add("spring.ai.vlcache.model", () -> TestFixtures.checkpoint().toString());
	}

	@Autowired
	ChatModel chatModel;

	@Autowired
	MeterRegistry meters;

	@LocalServerPort
	int port;

	private JsonObject get(String path) throws Exception {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path)).build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(path).isEqualTo(200);
		return JsonParser.parseString(response.body()).getAsJsonObject();
	}

	@Test
	void chatWithAnImageIsAnsweredMeteredObservedAndReported() throws Exception {
		assertThat(this.chatModel).isInstanceOf(VlCacheChatModel.class);
		Media image = Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(TestFixtures.image()).build();
		ChatResponse response = this.chatModel
			.call(new Prompt(UserMessage.builder().text("what color is the circle ?").media(List.of(image)).build()));

		assertThat(response.getResult().getOutput().getText()).isNotBlank();
		assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(6);
		assertThat(((VlCacheUsage) response.getMetadata().getUsage().getNativeUsage()).imageTokens()).isEqualTo(36);
		CompressionMetadata compression = response.getMetadata().get(VlCacheChatModel.METADATA_COMPRESSION);
		assertThat(compression.layerBudgets()).containsExactly(12, 11, 8, 13);

		assertThat(this.meters.get("vlcache.requests").tag("outcome", "success").tag("policy", "vl-cache").counter().count())
			.isEqualTo(1);
		assertThat(this.meters.get("vlcache.tokens").tag("type", "image").counter().count()).isEqualTo(36);
		assertThat(this.meters.get("vlcache.tokens").tag("type", "prompt").counter().count()).isEqualTo(9);
		assertThat(this.meters.get("vlcache.tokens").tag("type", "completion").counter().count()).isEqualTo(6);
		assertThat(this.meters.get("vlcache.prefill.duration").timer().count()).isEqualTo(1);
		assertThat(this.meters.get("vlcache.decode.duration").timer().count()).isEqualTo(1);
		assertThat(this.meters.get("vlcache.kv.cache.retained.ratio").summary().mean())
			.isCloseTo(compression.retainedRatio(), org.assertj.core.data.Offset.offset(1e-9));
		assertThat(this.meters.get("vlcache.kv.cache.evicted.bytes").counter().count())
			.isEqualTo(compression.kvBytesBefore() - compression.kvBytesAfter());
		assertThat(this.meters.get("vlcache.layer.sparsity").tag("layer", "2").summary().count()).isEqualTo(1);
		assertThat(this.meters.get("vlcache.layer.budget.ratio").tag("layer", "0").summary().mean())
			.isCloseTo(12 / 45.0, org.assertj.core.data.Offset.offset(1e-9));
		assertThat(this.meters.get("vlcache.kv.cache.bytes").gauge().value()).isZero();
		// The batch: six tokens are the prefill's and five decoding steps, each a batch of one.
		assertThat(this.meters.get("vlcache.batch.size").summary().count()).isEqualTo(5);
		assertThat(this.meters.get("vlcache.batch.size").summary().max()).isEqualTo(1);
		assertThat(this.meters.get("vlcache.queue.wait").timer().count()).isEqualTo(1);
		assertThat(this.meters.get("vlcache.requests.waiting").gauge().value()).isZero();
		assertThat(this.meters.get("vlcache.kv.pool.reserved.bytes").gauge().value()).isZero();
		assertThat(this.meters.get("vlcache.kv.pool.budget.bytes").gauge().value()).isPositive();
		// Spring AI's observation of the call, with token usage.
		assertThat(this.meters.get("gen_ai.client.operation").tag("gen_ai.system", "vlcache").timer().count())
			.isEqualTo(1);
		assertThat(this.meters.get("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").counter().count())
			.isEqualTo(6);

		JsonObject health = get("/actuator/health");
		JsonObject vlcache = health.getAsJsonObject("components").getAsJsonObject("vlcache");
		assertThat(vlcache.get("status").getAsString()).isEqualTo("UP");
		JsonObject details = vlcache.getAsJsonObject("details");
		assertThat(details.get("model").getAsString()).isEqualTo("llava-tiny-clip-llama");
		assertThat(details.get("device").getAsString()).isEqualTo("cpu");
		assertThat(details.get("dtype").getAsString()).isEqualTo("float32");
		assertThat(details.get("parameters").getAsLong()).isGreaterThan(50_000);
		assertThat(details.get("kvCacheBytes").getAsLong()).isZero();
		assertThat(details.get("kvCacheReservedBytes").getAsLong()).isZero();
		assertThat(details.get("kvCacheBudgetBytes").getAsLong()).isPositive();
		assertThat(details.get("waitingRequests").getAsInt()).isZero();
		assertThat(details.get("maxBatchSize").getAsInt()).isEqualTo(8);

		JsonObject metric = get("/actuator/metrics/vlcache.requests");
		assertThat(metric.getAsJsonArray("measurements").get(0).getAsJsonObject().get("value").getAsDouble())
			.isEqualTo(1.0);

		JsonObject endpoint = get("/actuator/vlcache");
		assertThat(endpoint.getAsJsonObject("model").get("decoder").getAsString()).isEqualTo("llama");
		assertThat(endpoint.getAsJsonObject("configuration").getAsJsonObject("compression").get("budgetRatio")
			.getAsDouble()).isEqualTo(0.25);
		JsonObject last = endpoint.getAsJsonArray("recentRequests").get(0).getAsJsonObject();
		assertThat(last.getAsJsonObject("compression").getAsJsonArray("layerBudgets").toString()).isEqualTo("[12,11,8,13]");
		assertThat(last.getAsJsonObject("compression").getAsJsonArray("layerSparsity")).hasSize(4);
		assertThat(last.get("queueMillis").getAsDouble()).isNotNegative();
		assertThat(endpoint.getAsJsonObject("inFlight").getAsJsonArray("running")).isEmpty();

		// While a request streams, the endpoint lists it with its compressed cache.
		java.util.concurrent.CountDownLatch streaming = new java.util.concurrent.CountDownLatch(1);
		reactor.core.Disposable stream = this.chatModel
			.stream(new Prompt(UserMessage.builder().text("what color is the circle ?").media(List.of(image)).build(),
					dev.vlcache.ai.VlCacheChatOptions.builder().maxTokens(400).build()))
			.subscribe(r -> streaming.countDown());
		try {
			assertThat(streaming.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
			JsonObject running = get("/actuator/vlcache").getAsJsonObject("inFlight")
				.getAsJsonArray("running")
				.get(0)
				.getAsJsonObject();
			assertThat(running.get("state").getAsString()).isEqualTo("DECODING");
			assertThat(running.get("promptTokens").getAsInt()).isEqualTo(45);
			assertThat(running.get("minLayerEntries").getAsInt()).isGreaterThanOrEqualTo(8);
			assertThat(running.get("kvCacheBytes").getAsLong()).isPositive();
			assertThat(running.get("reservedKvBytes").getAsLong()).isGreaterThan(running.get("kvCacheBytes").getAsLong());
		}
		finally {
			stream.dispose();
		}
	}

}
