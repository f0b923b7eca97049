/*
 * delayq: holds every packet of one netfilter queue for a fixed time before accepting it, to give a veth link
 * latency where the kernel has no netem qdisc. Packets keep their order (one fixed delay). Only metadata is
 * copied to user space; a full hold ring drops the packet, as a full router queue would.
 *
 *   delayq QUEUE_NUM DELAY_MS
 *
 * Use it on ingress (an nft prerouting rule "queue num N bypass"): held egress packets would count against the
 * sender's socket and stall its TCP. Stops on SIGTERM/SIGINT, accepting what it still holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define RING (1u << 17)

struct held { uint32_t id; uint64_t due_ns; };

static struct held ring[RING];
static uint32_t head, tail; /* tail - head = packets held */
static uint64_t delay_ns;
static unsigned long long accepted, dropped;
static volatile sig_atomic_t stopping;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *msg, struct nfq_data *data, void *unused)
{
    (void)msg; (void)unused;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
    if (header == NULL)
        return 0;
    uint32_t id = ntohl(header->packet_id);
    if (tail - head >= RING) {
        dropped++;
        return nfq_set_verdict(queue, id, NF_DROP, 0, NULL);
    }
    ring[tail % RING] = (struct held){ id, now_ns() + delay_ns };
    tail++;
    return 0;
}

static void release_due(struct nfq_q_handle *queue, uint64_t now)
{
    while (head != tail && (stopping || ring[head % RING].due_ns <= now)) {
        nfq_set_verdict(queue, ring[head % RING].id, NF_ACCEPT, 0, NULL);
        head++;
        accepted++;
    }
}

static void on_signal(int sig) { (void)sig; stopping = 1; }

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: delayq QUEUE_NUM DELAY_MS\n");
        return 2;
    }
    int queue_num = atoi(argv[1]);
    double delay_ms = atof(argv[2]);
    if (queue_num < 0 || queue_num > 65535 || delay_ms < 0 || delay_ms > 10000) {
        fprintf(stderr, "delayq: queue 0-65535 and delay 0-10000 ms\n");
        return 2;
    }
    delay_ns = (uint64_t)(delay_ms * 1e6);

    struct nfq_handle *handle = nfq_open();
    if (handle == NULL) { perror("delayq: nfq_open"); return 1; }
    nfq_unbind_pf(handle, AF_INET);
    if (nfq_bind_pf(handle, AF_INET) < 0) { perror("delayq: nfq_bind_pf"); return 1; }
    struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)queue_num, on_packet, NULL);
    if (queue == NULL) { perror("delayq: nfq_create_queue"); return 1; }
    if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) { perror("delayq: nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(queue, RING);
    nfnl_rcvbufsiz(nfq_nfnlh(handle), 16 * 1024 * 1024);

    struct sigaction action = { 0 };
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    int fd = nfq_fd(handle);
    static char buffer[65536] __attribute__((aligned));
    printf("delayq: queue %d, %.1f ms\n", queue_num, delay_ms);
    fflush(stdout);
    while (!stopping) {
        uint64_t now = now_ns();
        release_due(queue, now);
        struct timespec wait = { 0, 50 * 1000 * 1000 };
        if (head != tail) {
            uint64_t due = ring[head % RING].due_ns;
            uint64_t left = due > now ? due - now : 0;
            wait.tv_sec = (time_t)(left / 1000000000ull);
            wait.tv_nsec = (long)(left % 1000000000ull);
        }
        struct pollfd pfd = { fd, POLLIN, 0 };
        int ready = ppoll(&pfd, 1, &wait, NULL);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            perror("delayq: ppoll");
            break;
        }
        if (ready == 0)
            continue;
        for (;;) {
            ssize_t got = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got < 0) {
                /* ENOBUFS: the kernel dropped queue messages; those packets are lost, as on a full link. */
                if (errno == ENOBUFS) { dropped++; continue; }
                break;
            }
            nfq_handle_packet(handle, buffer, (int)got);
        }
    }
    release_due(queue, now_ns());
    fprintf(stderr, "delayq: %llu packets delayed, %llu dropped\n", accepted, dropped);
    nfq_destroy_queue(queue);
    nfq_close(handle);
    return 0;
}
