package dev.vlcache.sample;

import java.util.Map;

import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;

import dev.vlcache.ai.VlCacheChatModel;

/**
 * Questions about images: {@code POST /api/chat} answers in one JSON document, {@code POST /api/chat/stream} as
 * server-sent events ({@code token} per piece of text, then {@code done} with usage and the compression report,
 * or {@code error} with a problem document).
 */
@RestController
@RequestMapping("/api")
public class ChatController {

	private final VlCacheChatModel chatModel;

	private final ChatRequestValidator validator;

	private final ProblemHandler problems;

	public ChatController(VlCacheChatModel chatModel, ChatRequestValidator validator, ProblemHandler problems) {
		this.chatModel = chatModel;
		this.validator = validator;
		this.problems = problems;
	}

	@PostMapping(path = "/chat", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
			produces = MediaType.APPLICATION_JSON_VALUE)
	public ChatAnswer chat(ChatForm form) {
		ChatJob job = this.validator.validate(form);
		ChatResponse response = this.chatModel.call(job.prompt());
		return ChatAnswer.of(response, response.getResult().getOutput().getText());
	}

	@PostMapping(path = "/chat/stream", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
			produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	public Flux<ServerSentEvent<Object>> stream(ChatForm form) {
		// Validation errors are thrown here, before the stream starts, and become ordinary 4xx problem responses.
		ChatJob job = this.validator.validate(form);
		StringBuilder text = new StringBuilder();
		return this.chatModel.stream(job.prompt()).map(response -> {
			if (ChatAnswer.isFinal(response)) {
				return ServerSentEvent.<Object>builder(ChatAnswer.of(response, text.toString())).event("done").build();
			}
			String piece = response.getResult().getOutput().getText();
			text.append(piece);
			return ServerSentEvent.<Object>builder(Map.of("text", piece == null ? "" : piece)).event("token").build();
		}).onErrorResume(ex -> {
			ProblemDetail problem = this.problems.describe(ex);
			return Flux.just(ServerSentEvent.<Object>builder(problem).event("error").build());
		});
	}

}
