package dev.vlcache.sample;

import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import dev.vlcache.ai.VlCacheRequestListener;
import dev.vlcache.demo.task.TaskGenerator;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "spring.ai.vlcache.max-batch-size=1", "spring.ai.vlcache.acquire-timeout=200ms" })
@Import(ChatApiTest.SlotHolder.class)
class ChatApiTest {

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	int port;

	@Autowired
	SlotHolder slotHolder;

	private final byte[] page = new TaskGenerator(42).scene(6, 1).png();

	@Test
	void demoImageIsAFreshPageWithAFittingQuestion() throws Exception {
		HttpResponse<byte[]> a = this.http.send(get("/api/demo-image"), HttpResponse.BodyHandlers.ofByteArray());
		HttpResponse<byte[]> b = this.http.send(get("/api/demo-image"), HttpResponse.BodyHandlers.ofByteArray());
		assertThat(a.statusCode()).isEqualTo(200);
		assertThat(a.headers().firstValue("Content-Type")).hasValue("image/png");
		java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(a.body()));
		assertThat(image.getWidth()).isEqualTo(256);
		String question = URLDecoder.decode(a.headers().firstValue("X-Demo-Question").orElseThrow(),
				StandardCharsets.UTF_8);
		// A short question: never the description request, which the demo model does not master.
		assertThat(question).doesNotContain("%").endsWith("?");
		assertThat(a.headers().firstValue("X-Demo-Answer")).isPresent();
		assertThat(a.body()).isNotEqualTo(b.body());
	}

	@Test
	void chatAnswersWithUsageAndTheCompressionReport() throws Exception {
		HttpResponse<String> response = send(new Multipart().field("question", "What colour is the coloured shape?")
			.file("image", "page.png", "image/png", this.page)
			.field("policy", "vl-cache")
			.field("budgetRatio", "0.1")
			.field("maxTokens", "5"), "/api/chat");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
		JsonObject json = JsonParser.parseString(response.body()).getAsJsonObject();
		assertThat(json.get("answer").getAsString()).isNotBlank();
		JsonObject usage = json.getAsJsonObject("usage");
		assertThat(usage.get("imageTokens").getAsInt()).isEqualTo(256);
		assertThat(usage.get("completionTokens").getAsInt()).isBetween(1, 5);
		assertThat(usage.get("totalTokens").getAsInt())
			.isEqualTo(usage.get("promptTokens").getAsInt() + usage.get("completionTokens").getAsInt());
		JsonObject compression = json.getAsJsonObject("compression");
		assertThat(compression.get("policy").getAsString()).isEqualTo("vl-cache");
		assertThat(compression.get("retainedRatio").getAsDouble()).isBetween(0.08, 0.12);
		assertThat(compression.get("kvBytesAfter").getAsLong()).isLessThan(compression.get("kvBytesBefore").getAsLong() / 5);
		assertThat(compression.getAsJsonArray("layerBudgets")).hasSize(4);
		assertThat(compression.getAsJsonArray("layerSparsity")).hasSize(4);
	}

	@Test
	void streamSendsTokensThenAFinalEventWithTheWholeAnswer() throws Exception {
		HttpResponse<String> response = send(new Multipart().field("question", "Describe the image.")
			.file("image", "page.png", "image/png", this.page)
			.field("policy", "full")
			.field("maxTokens", "12"), "/api/chat/stream");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
		List<String[]> events = events(response.body());
		StringBuilder text = new StringBuilder();
		for (String[] e : events.subList(0, events.size() - 1)) {
			assertThat(e[0]).isEqualTo("token");
			text.append(JsonParser.parseString(e[1]).getAsJsonObject().get("text").getAsString());
		}
		assertThat(events.size()).isGreaterThan(2);
		String[] last = events.get(events.size() - 1);
		assertThat(last[0]).isEqualTo("done");
		JsonObject done = JsonParser.parseString(last[1]).getAsJsonObject();
		assertThat(done.get("answer").getAsString()).isEqualTo(text.toString());
		assertThat(done.getAsJsonObject("compression").get("retainedRatio").getAsDouble()).isEqualTo(1.0);
		assertThat(done.getAsJsonObject("usage").get("completionTokens").getAsInt()).isEqualTo(events.size() - 1);
	}

	@Test
	void badInputIsAProblemDocumentWithAMessage() throws Exception {
		problem(new Multipart().file("image", "page.png", "image/png", this.page), "/api/chat", 400, "question");
		problem(new Multipart().field("question", "What colour is the coloured shape?").file("image", "empty.png", "image/png",
				new byte[0]), "/api/chat", 400, "has no data");
		byte[] corrupt = java.util.Arrays.copyOf(this.page, this.page.length / 2);
		problem(new Multipart().field("question", "What colour is the coloured shape?").file("image", "half.png", "image/png",
				corrupt), "/api/chat", 400, "corrupt or truncated");
		problem(new Multipart().field("question", "What colour is the coloured shape?").file("image", "notes.txt",
				"text/plain", "just text".getBytes(StandardCharsets.UTF_8)), "/api/chat", 415, "not a supported image");
		problem(new Multipart().field("question", "What colour is the coloured shape?").file("image", "huge.png", "image/png",
				new byte[20 * 1024 * 1024]), "/api/chat", 413, "10 MB");
		problem(new Multipart().field("question", "word ".repeat(3000)), "/api/chat", 400, "context length");
		problem(new Multipart().field("question", "hi").field("policy", "lru"), "/api/chat", 400, "lru");
		problem(new Multipart().field("question", "hi").field("budgetRatio", "1.5"), "/api/chat", 400, "budgetRatio");
		problem(new Multipart().field("question", "hi").field("budgetRatio", "lots"), "/api/chat", 400, "not a number");
		problem(new Multipart().field("question", "hi").field("maxTokens", "0"), "/api/chat", 400, "maxTokens");
		problem(new Multipart().file("image", "half.png", "image/png", corrupt).field("question", "Where?"),
				"/api/chat/stream", 400, "corrupt or truncated");
		HttpResponse<String> json = this.http.send(
				HttpRequest.newBuilder(uri("/api/chat"))
					.header("Content-Type", "application/json")
					.POST(HttpRequest.BodyPublishers.ofString("{\"question\":\"hi\"}"))
					.build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(json.statusCode()).isEqualTo(415);
		assertThat(json.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		// The model still answers after all of that.
		assertThat(send(new Multipart().field("question", "What colour is the coloured shape?")
			.file("image", "page.png", "image/png", this.page), "/api/chat").statusCode()).isEqualTo(200);
	}

	@Test
	void aBusyServerAnswers503WithRetryAfter() throws Exception {
		CountDownLatch holding = this.slotHolder.hold();
		CompletableFuture<HttpResponse<String>> first = this.http.sendAsync(new Multipart()
			.field("question", "What colour is the coloured shape?")
			.file("image", "page.png", "image/png", this.page)
			.post(uri("/api/chat")), HttpResponse.BodyHandlers.ofString());
		CompletableFuture<HttpResponse<String>> second;
		try {
			assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
			// The only batch place is taken and the scheduler is held: the second request waits past its 200 ms.
			second = this.http.sendAsync(new Multipart().field("question", "Which shape is coloured?")
				.file("image", "page.png", "image/png", this.page)
				.post(uri("/api/chat")), HttpResponse.BodyHandlers.ofString());
			Thread.sleep(600);
		}
		finally {
			this.slotHolder.release();
		}
		HttpResponse<String> busy = second.get(30, TimeUnit.SECONDS);
		assertThat(busy.statusCode()).isEqualTo(503);
		assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
		assertThat(busy.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(busy.body()).contains("busy");
		assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
	}

	@Test
	void actuatorShowsHealthMetricsPrometheusAndTheVlcacheEndpoint() throws Exception {
		send(new Multipart().field("question", "What colour is the coloured shape?").file("image", "page.png", "image/png",
				this.page), "/api/chat");
		JsonObject health = JsonParser.parseString(body("/actuator/health")).getAsJsonObject();
		assertThat(health.get("status").getAsString()).isEqualTo("UP");
		assertThat(health.getAsJsonObject("components").getAsJsonObject("vlcache").get("status").getAsString())
			.isEqualTo("UP");
		assertThat(body("/actuator/metrics")).contains("vlcache.kv.cache.bytes", "vlcache.layer.sparsity", "gen_ai.client.operation");
		assertThat(body("/actuator/prometheus")).contains("vlcache_", "gen_ai_client_token_usage");
		assertThat(JsonParser.parseString(body("/actuator/vlcache")).getAsJsonObject().toString()).contains("vl-cache");
	}

	private void problem(Multipart form, String path, int status, String detail) throws Exception {
		HttpResponse<String> response = send(form, path);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonObject json = JsonParser.parseString(response.body()).getAsJsonObject();
		assertThat(json.get("status").getAsInt()).isEqualTo(status);
		assertThat(json.get("title").getAsString()).isNotBlank();
		assertThat(json.get("detail").getAsString()).contains(detail);
	}

	private HttpResponse<String> send(Multipart form, String path) throws Exception {
		return this.http.send(form.post(uri(path)), HttpResponse.BodyHandlers.ofString());
	}

	private String body(String path) throws Exception {
		HttpResponse<String> r = this.http.send(get(path), HttpResponse.BodyHandlers.ofString());
		assertThat(r.statusCode()).as(path).isEqualTo(200);
		return r.body();
	}

	private HttpRequest get(String path) {
		return HttpRequest.newBuilder(uri(path)).GET().build();
	}

	private URI uri(String path) {
		return URI.create("http://localhost:" + this.port + path);
	}

	/** (event name, data) pairs of a server-sent event stream. */
	static List<String[]> events(String body) {
		List<String[]> out = new ArrayList<>();
		for (String block : body.split("\r?\n\r?\n")) {
			String event = "message";
			StringBuilder data = new StringBuilder();
			for (String line : block.split("\r?\n")) {
				if (line.startsWith("event:")) {
					event = line.substring(6).trim();
				}
				else if (line.startsWith("data:")) {
					data.append(line.substring(5));
				}
			}
			if (data.length() > 0) {
				out.add(new String[] { event, data.toString() });
			}
		}
		return out;
	}

	/**
	 * Holds the scheduler inside the first decoding step of a request, on demand, so that the request keeps the
	 * only batch place while the next one waits in the queue.
	 */
	@TestConfiguration
	static class SlotHolder {

		private final AtomicReference<CountDownLatch[]> armed = new AtomicReference<>();

		CountDownLatch hold() {
			CountDownLatch entered = new CountDownLatch(1);
			this.armed.set(new CountDownLatch[] { entered, new CountDownLatch(1) });
			return entered;
		}

		void release() {
			CountDownLatch[] latches = this.armed.getAndSet(null);
			if (latches != null) {
				latches[1].countDown();
			}
		}

		@Bean
		VlCacheRequestListener slotHoldingListener() {
			return new VlCacheRequestListener() {
				@Override
				public void onDecodeStep(int batchSize) {
					CountDownLatch[] latches = SlotHolder.this.armed.get();
					if (latches != null) {
						latches[0].countDown();
						try {
							latches[1].await(30, TimeUnit.SECONDS);
						}
						catch (InterruptedException ex) {
							Thread.currentThread().interrupt();
						}
					}
				}
			};
		}

	}

}
