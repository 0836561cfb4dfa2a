package dev.vlcache.sample;

import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;

import dev.vlcache.ai.CompressionMetadata;
import dev.vlcache.ai.VlCacheChatModel;

/**
 * The JSON answer of {@code POST /api/chat}, and the final event of the stream (whose {@code answer} is the whole
 * text streamed before it).
 *
 * @param answer the generated text
 * @param finishReason why generation stopped (STOP, LENGTH, ...)
 * @param usage token counts
 * @param compression what the compression policy did to the prompt's KV cache
 * @param timings milliseconds spent
 */
public record ChatAnswer(String answer, @Nullable String finishReason, Usage usage,
		@Nullable CompressionMetadata compression, VlCacheChatModel.@Nullable Timings timings) {

	/**
	 * Token counts.
	 * @param promptTokens prompt tokens, image tokens included
	 * @param imageTokens image tokens
	 * @param completionTokens generated tokens
	 * @param totalTokens prompt plus generated
	 */
	public record Usage(int promptTokens, int imageTokens, int completionTokens, int totalTokens) {
	}

	static ChatAnswer of(ChatResponse response, String answer) {
		ChatResponseMetadata m = response.getMetadata();
		Generation g = response.getResult();
		Integer imageTokens = m.get(VlCacheChatModel.METADATA_IMAGE_TOKENS);
		int prompt = m.getUsage().getPromptTokens() != null ? m.getUsage().getPromptTokens() : 0;
		int completion = m.getUsage().getCompletionTokens() != null ? m.getUsage().getCompletionTokens() : 0;
		return new ChatAnswer(answer, g != null ? g.getMetadata().getFinishReason() : null,
				new Usage(prompt, imageTokens != null ? imageTokens : 0, completion, prompt + completion),
				m.get(VlCacheChatModel.METADATA_COMPRESSION), m.get(VlCacheChatModel.METADATA_TIMINGS));
	}

	/** Whether a streamed response is the last one, which carries usage and the compression report. */
	static boolean isFinal(ChatResponse response) {
		return response.getMetadata().containsKey(VlCacheChatModel.METADATA_COMPRESSION);
	}

}
