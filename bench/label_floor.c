/* The floor a Swift wrapper can approach: draws the same label layout as returnd (dumped by
   returnd-bench-labels --dump-layout) with cairo, libqrencode, libzint and libpng called
   directly from C, and prints labels per second per format on one core.
   Build: gcc -O2 label_floor.c $(pkg-config --cflags --libs cairo libqrencode libpng) -lzint */
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <png.h>
#include <qrencode.h>
#include <zint.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum kind { TEXT, RECT, BARCODE, QR };
struct element { enum kind kind; double x, y, a, b, c; int flag; char data[512]; };
static struct element elements[256];
static int count;
static double page_w, page_h; static int dpi;

struct buffer { unsigned char *bytes; size_t length, capacity; };
static void append(struct buffer *b, const unsigned char *data, size_t n) {
    if (b->length + n > b->capacity) { b->capacity = (b->length + n) * 2; b->bytes = realloc(b->bytes, b->capacity); }
    memcpy(b->bytes + b->length, data, n); b->length += n;
}
static cairo_status_t write_cairo(void *closure, const unsigned char *data, unsigned int n) { append(closure, data, n); return CAIRO_STATUS_SUCCESS; }
static void write_png(png_structp png, png_bytep data, size_t n) { append(png_get_io_ptr(png), data, n); }

/* As returnd draws them: one rectangle per run of dark modules, and in a PDF each filled on its
   own (cairo writes a one-rectangle path as `re`, four numbers instead of a polygon's eight). */
static int fill_each_run;
static void dark_run(cairo_t *cr, double x, double y, double w, double h) {
    cairo_rectangle(cr, x, y, w, h);
    if (fill_each_run) cairo_fill(cr);
}

static void draw(cairo_t *cr, int raster) {
    /* Unhinted text for every target, as returnd sets it (CairoCanvas.draw). */
    cairo_font_options_t *options = cairo_font_options_create();
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, options);
    cairo_font_options_destroy(options);
    if (!raster) { cairo_set_source_rgb(cr, 1, 1, 1); cairo_paint(cr); }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int i = 0; i < count; i++) {
        struct element *e = &elements[i];
        if (e->kind == RECT) { cairo_rectangle(cr, e->x, e->y, e->a, e->b); cairo_fill(cr); }
        else if (e->kind == BARCODE) {
            struct zint_symbol *s = ZBarcode_Create();
            char input[600];
            if (e->flag) { s->symbology = BARCODE_GS1_128; snprintf(input, sizeof input, "[%.2s]%s", e->data, e->data + 2); }
            else { s->symbology = BARCODE_CODE128; snprintf(input, sizeof input, "%s", e->data); }
            ZBarcode_Encode(s, (unsigned char *)input, (int)strlen(input));
            for (int x = 0; x < s->width; ) {
                if (!((s->encoded_data[0][x >> 3] >> (x & 7)) & 1)) { x++; continue; }
                int start = x;
                while (x < s->width && ((s->encoded_data[0][x >> 3] >> (x & 7)) & 1)) x++;
                dark_run(cr, e->x + start * e->a, e->y, (x - start) * e->a, e->b);
            }
            cairo_fill(cr);
            ZBarcode_Delete(s);
        } else if (e->kind == QR) {
            QRcode *q = QRcode_encodeString(e->data, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
            for (int y = 0; y < q->width; y++)
                for (int x = 0; x < q->width; ) {
                    if (!(q->data[y * q->width + x] & 1)) { x++; continue; }
                    int start = x;
                    while (x < q->width && (q->data[y * q->width + x] & 1)) x++;
                    dark_run(cr, e->x + start * e->a, e->y + y * e->a, (x - start) * e->a, e->a);
                }
            cairo_fill(cr);
            QRcode_free(q);
        } else {
            cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, e->flag ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
            double size = e->a;
            cairo_text_extents_t ext;
            cairo_set_font_size(cr, size);
            cairo_text_extents(cr, e->data, &ext);
            if (ext.x_advance > e->b) { size = size * e->b / ext.x_advance; if (size < e->a * 0.75) size = e->a * 0.75; cairo_set_font_size(cr, size); }
            cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
            cairo_move_to(cr, e->x, e->y + size * 0.93);
            cairo_show_text(cr, e->data);
            cairo_new_path(cr);
            cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
        }
    }
}

static size_t render(const char *format) {
    struct buffer out = {0};
    if (!strcmp(format, "pdf") || !strcmp(format, "svg")) {
        cairo_surface_t *s = !strcmp(format, "pdf") ? cairo_pdf_surface_create_for_stream(write_cairo, &out, page_w, page_h)
                                                    : cairo_svg_surface_create_for_stream(write_cairo, &out, page_w, page_h);
        cairo_t *cr = cairo_create(s);
        fill_each_run = !strcmp(format, "pdf");
        draw(cr, 0);
        cairo_destroy(cr);
        cairo_surface_finish(s);
        cairo_surface_destroy(s);
    } else {
        double scale = dpi / 72.0;
        int w = (int)(page_w * scale + 0.5), h = (int)(page_h * scale + 0.5);
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
        cairo_t *cr = cairo_create(s);
        cairo_scale(cr, scale, scale);
        fill_each_run = 0;
        draw(cr, 1);
        cairo_surface_flush(s);
        unsigned char *data = cairo_image_surface_get_data(s);
        int stride = cairo_image_surface_get_stride(s), row_bytes = (w + 7) / 8;
        unsigned char *bits = calloc((size_t)row_bytes * h, 1);
        /* Eight pixels at a time, as returnd does (CairoCanvas.threshold): the top bit of each
           alpha byte, flipped, gathered into one byte by one multiplication. */
        for (int y = 0; y < h; y++) {
            int x = 0;
            for (; x + 8 <= w; x += 8) {
                uint64_t eight; memcpy(&eight, data + y * stride + x, 8);
                uint64_t white = (~eight & 0x8080808080808080ull) >> 7;
                bits[y * row_bytes + x / 8] = (unsigned char)((white * 0x8040201008040201ull) >> 56);
            }
            for (; x < row_bytes * 8; x++)
                if (x >= w || data[y * stride + x] < 128) bits[y * row_bytes + x / 8] |= (unsigned char)(0x80 >> (x & 7));
        }
        png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        png_infop info = png_create_info_struct(png);
        if (setjmp(png_jmpbuf(png))) abort();
        png_set_write_fn(png, &out, write_png, NULL);
        png_set_compression_level(png, 2);
        png_set_filter(png, 0, PNG_FILTER_NONE);
        png_set_IHDR(png, info, w, h, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < h; y++) png_write_row(png, bits + (size_t)y * row_bytes);
        png_write_end(png, NULL);
        png_destroy_write_struct(&png, &info);
        free(bits);
        cairo_destroy(cr);
        cairo_surface_destroy(s);
    }
    free(out.bytes);
    return out.length;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: label_floor LAYOUT [SECONDS] [FORMAT]\n"); return 2; }
    double seconds = argc > 2 ? atof(argv[2]) : 3;
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        struct element *e = &elements[count];
        int n = 0;
        if (sscanf(line, "page %lf %lf %d", &page_w, &page_h, &dpi) == 3) continue;
        if (sscanf(line, "text %lf %lf %lf %d %lf %n", &e->x, &e->y, &e->a, &e->flag, &e->b, &n) == 5) { e->kind = TEXT; snprintf(e->data, sizeof e->data, "%s", line + n); count++; }
        else if (sscanf(line, "rect %lf %lf %lf %lf", &e->x, &e->y, &e->a, &e->b) == 4) { e->kind = RECT; count++; }
        else if (sscanf(line, "barcode %lf %lf %lf %lf %d %n", &e->x, &e->y, &e->a, &e->b, &e->flag, &n) == 5) { e->kind = BARCODE; snprintf(e->data, sizeof e->data, "%s", line + n); count++; }
        else if (sscanf(line, "qr %lf %lf %lf %n", &e->x, &e->y, &e->a, &n) == 3) { e->kind = QR; snprintf(e->data, sizeof e->data, "%s", line + n); count++; }
    }
    fclose(f);
    const char *formats[] = {"pdf", "png", "svg"};
    // One format only when FORMAT is given: bench/labels runs each format next to returnd's.
    const char *only = argc > 3 ? argv[3] : NULL;
    printf("format\tlabels_per_s\tbytes\n");
    for (int i = 0; i < 3; i++) {
        if (only && strcmp(only, formats[i])) continue;
        size_t bytes = 0;
        for (int k = 0; k < 5; k++) bytes = render(formats[i]);
        double start = now(); long n = 0;
        while (now() - start < seconds) { for (int k = 0; k < 10; k++) render(formats[i]); n += 10; }
        printf("%s\t%.1f\t%zu\n", formats[i], n / (now() - start), bytes);
    }
    return 0;
}
