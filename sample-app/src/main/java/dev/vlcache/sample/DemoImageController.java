package dev.vlcache.sample;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.vlcache.demo.task.QuestionKind;
import dev.vlcache.demo.task.TaskGenerator;
import dev.vlcache.demo.task.TaskSample;

/**
 * {@code GET /api/demo-image}: a freshly generated page of the demo task as PNG, with a question that fits it in
 * the {@code X-Demo-Question} header and the expected answer in {@code X-Demo-Answer} (URL-encoded UTF-8).
 */
@RestController
@RequestMapping("/api")
public class DemoImageController {

	private final SecureRandom seeds = new SecureRandom();

	@GetMapping(path = "/demo-image", produces = MediaType.IMAGE_PNG_VALUE)
	public ResponseEntity<byte[]> demoImage() {
		TaskGenerator generator = new TaskGenerator(this.seeds.nextLong());
		TaskSample sample = generator.sample();
		// The page shows one image; questions about several pages come from the evaluation, not from here. No
		// description request either: the demo model names few of a page's objects (see the README).
		while (sample.scenes().size() != 1 || sample.kind() == QuestionKind.DESCRIBE) {
			sample = generator.sample();
		}
		return ResponseEntity.ok()
			.cacheControl(CacheControl.noStore())
			.header("X-Demo-Question", encode(sample.question()))
			.header("X-Demo-Answer", encode(sample.answer()))
			.header("Access-Control-Expose-Headers", "X-Demo-Question, X-Demo-Answer")
			.contentType(MediaType.IMAGE_PNG)
			.body(sample.scenes().get(0).png());
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
	}

}
