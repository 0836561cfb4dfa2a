package dev.vlcache.core.serving;

/**
 * A request whose KV cache could never fit: its prompt and token limit alone need more than the whole budget.
 * It fails at once rather than wait forever.
 */
public class KvBudgetExceededException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	KvBudgetExceededException(int promptTokens, int maxNewTokens, long needed, long budget) {
		super("The request needs " + needed + " bytes of KV cache (" + promptTokens + " prompt tokens + "
				+ maxNewTokens + " new tokens, before compression) but the whole KV-cache budget is " + budget
				+ " bytes (spring.ai.vlcache.kv-cache-memory); shorten the prompt, lower max-tokens or raise the budget");
	}

}
