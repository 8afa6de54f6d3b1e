#include "CJSONFrame.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A bracket outside strings. Returns -1 to go on, else a CJF_ result. */
static inline int bracket(cjf_state *s, uint8_t byte, int64_t max_depth) {
  if (byte == '{' || byte == '[') {
    if (s->depth >= max_depth) return CJF_TOO_DEEP;
    if (byte == '[') {
      s->open_arrays |= (uint64_t)1 << s->depth;
    } else {
      s->open_arrays &= ~((uint64_t)1 << s->depth);
    }
    s->depth += 1;
    return -1;
  }
  int was_array = (int)((s->open_arrays >> (s->depth - 1)) & 1);
  if (was_array != (byte == ']')) return CJF_UNBALANCED;
  s->depth -= 1;
  return s->depth == 0 ? CJF_CLOSED : -1;
}

/* One byte of any kind. Returns -1 to go on, else a CJF_ result. */
static inline int step(cjf_state *s, uint8_t byte, int64_t max_depth) {
  if (s->in_string) {
    if (s->escaped) {
      s->escaped = 0;
    } else if (byte == '\\') {
      s->escaped = 1;
    } else if (byte == '"') {
      s->in_string = 0;
    }
    return -1;
  }
  if (byte == '"') {
    s->in_string = 1;
    return -1;
  }
  if ((byte | 0x20) == '{' || (byte | 0x20) == '}') return bracket(s, byte, max_depth);
  return -1;
}

/* Bit i of the result: whether any of bits 0...i of `quotes` is set an odd number of times. */
static inline uint32_t prefix_xor16(uint32_t quotes) {
  quotes ^= quotes << 1;
  quotes ^= quotes << 2;
  quotes ^= quotes << 4;
  quotes ^= quotes << 8;
  return quotes & 0xFFFF;
}

int cjf_scan(cjf_state *s, const uint8_t *buffer, size_t from, size_t end, int64_t max_depth, size_t *stop) {
  size_t i = from;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i fold = _mm_set1_epi8(0x20); /* `[` | 0x20 == `{`, `]` | 0x20 == `}` */
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  while (i + 16 <= end) {
    __m128i block = _mm_loadu_si128((const __m128i *)(buffer + i));
    uint32_t backslashes = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(block, backslash));
    if (backslashes != 0 || s->escaped) {
      /* Escapes are rare in OVSDB's traffic: this block goes byte by byte. */
      for (size_t j = i; j < i + 16; j++) {
        int result = step(s, buffer[j], max_depth);
        if (result >= 0) {
          *stop = result == CJF_CLOSED ? j + 1 : j;
          return result;
        }
      }
      i += 16;
      continue;
    }
    uint32_t quotes = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(block, quote));
    __m128i folded = _mm_or_si128(block, fold);
    uint32_t brackets = (uint32_t)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close)));
    /* Bytes inside a string: from an opening quote up to (not including) its closing one. */
    uint32_t strings = prefix_xor16(quotes) ^ (s->in_string ? 0xFFFF : 0);
    uint32_t structural = brackets & ~strings;
    while (structural != 0) {
      size_t j = i + (size_t)__builtin_ctz(structural);
      structural &= structural - 1;
      int result = bracket(s, buffer[j], max_depth);
      if (result >= 0) {
        s->in_string = 0; /* the bracket is outside any string */
        *stop = result == CJF_CLOSED ? j + 1 : j;
        return result;
      }
    }
    s->in_string = (int32_t)((strings >> 15) & 1);
    i += 16;
  }
#endif
  for (; i < end; i++) {
    int result = step(s, buffer[i], max_depth);
    if (result >= 0) {
      *stop = result == CJF_CLOSED ? i + 1 : i;
      return result;
    }
  }
  *stop = end;
  return CJF_NEED_MORE;
}
