package org.crawlerhub.protocol;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Fast conversion of crawler ISO-8601 timestamps to epoch milliseconds. The canonical UTC form
 * ({@code 2025-07-30T10:15:01.180Z}) is parsed by hand because job_progress arrives at more than
 * 100k messages/s; anything else falls back to {@link Instant#parse}.
 */
public final class IsoInstants {
  public static final long UNKNOWN = Long.MIN_VALUE;

  private IsoInstants() {}

  /** Epoch milliseconds of {@code s}, or {@link #UNKNOWN} when absent or unparseable. */
  public static long toEpochMillis(String s) {
    if (s == null) {
      return UNKNOWN;
    }
    long fast = fastUtc(s);
    if (fast != UNKNOWN) {
      return fast;
    }
    try {
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      return UNKNOWN;
    }
  }

  private static long fastUtc(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-'
        || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return UNKNOWN;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23
        || minute < 0 || minute > 59 || second < 0 || second > 60) {
      return UNKNOWN;
    }
    int millis = 0;
    if (n > 20) {
      if (s.charAt(19) != '.') {
        return UNKNOWN;
      }
      int scale = 100;
      for (int i = 20; i < n - 1; i++) {
        char c = s.charAt(i);
        if (c < '0' || c > '9') {
          return UNKNOWN;
        }
        millis += (c - '0') * scale;
        scale /= 10;
      }
    } else if (n != 20) {
      return UNKNOWN;
    }
    long days = daysFromCivil(year, month, day);
    return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + millis;
  }

  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
  private static long daysFromCivil(int y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
  }
}
