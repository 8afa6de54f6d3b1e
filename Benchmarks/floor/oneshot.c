/* The floor of a one-shot OVS command, for scripts/bench cli: a process that connects to
 * ovsdb-server's unix socket, sends one JSON-RPC request given on the command line, reads the
 * reply (one JSON value, found by balancing brackets outside strings) and exits. No parsing, no
 * validation, no schema: whatever a real client does beyond this is its overhead.
 *
 *   oneshot SOCKET REQUEST   exit 0 when the reply holds no "error" member with a string, else 1
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: oneshot SOCKET REQUEST\n");
    return 2;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("oneshot: connect");
    return 2;
  }
  size_t length = strlen(argv[2]);
  for (size_t sent = 0; sent < length;) {
    ssize_t n = write(fd, argv[2] + sent, length - sent);
    if (n <= 0) {
      perror("oneshot: write");
      return 2;
    }
    sent += (size_t)n;
  }
  static char reply[1 << 20];
  size_t used = 0;
  int depth = 0, started = 0, in_string = 0, escaped = 0;
  while (!(started && depth == 0)) {
    if (used == sizeof reply) break;
    ssize_t n = read(fd, reply + used, sizeof reply - used);
    if (n <= 0) {
      fprintf(stderr, "oneshot: connection closed before the reply ended\n");
      return 2;
    }
    for (ssize_t i = 0; i < n && !(started && depth == 0); i++) {
      char c = reply[used + i];
      if (in_string) {
        if (escaped) escaped = 0;
        else if (c == '\\') escaped = 1;
        else if (c == '"') in_string = 0;
      } else if (c == '"') {
        in_string = 1;
      } else if (c == '{' || c == '[') {
        depth++;
        started = 1;
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
    used += (size_t)n;
  }
  close(fd);
  reply[used < sizeof reply ? used : sizeof reply - 1] = 0;
  if (strstr(reply, "\"error\":\"")) {
    fprintf(stderr, "oneshot: %s\n", reply);
    return 1;
  }
  return 0;
}
