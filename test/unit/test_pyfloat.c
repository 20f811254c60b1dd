/*
 * test_pyfloat.c
 *	  de_format_pyfloat against Python's repr: the table is what CPython 3
 *	  printed for each double (given by its bits), around the exponent
 *	  switches (1e-4 / 1e-5, 1e15 / 1e16), negative zero, NaN and the
 *	  infinities, subnormals, powers of two whose shortest digits are not the
 *	  nearest ones, and random doubles; plus a round-trip property over many
 *	  random bit patterns.
 */
#include "case_runner.h"

#include <math.h>

#include "pyfloat.h"

typedef struct FloatCase
{
	const char *name;
	uint64_t	bits;
	const char *python;		/* repr(x) */
} FloatCase;

static const FloatCase float_cases[] = {
	{"zero", UINT64_C(0x0000000000000000), "0.0"},
	{"negative zero", UINT64_C(0x8000000000000000), "-0.0"},
	{"nan", UINT64_C(0x7ff8000000000000), "nan"},
	{"inf", UINT64_C(0x7ff0000000000000), "inf"},
	{"-inf", UINT64_C(0xfff0000000000000), "-inf"},
	{"whole 500", UINT64_C(0x407f400000000000), "500.0"},
	{"whole 1", UINT64_C(0x3ff0000000000000), "1.0"},
	{"negative whole", UINT64_C(0xc045000000000000), "-42.0"},
	{"one third of 250", UINT64_C(0x4054d55555555555), "83.33333333333333"},
	{"83.33...", UINT64_C(0x4054d55555555555), "83.33333333333333"},
	{"0.1", UINT64_C(0x3fb999999999999a), "0.1"},
	{"0.1+0.2", UINT64_C(0x3fd3333333333334), "0.30000000000000004"},
	{"-1.5", UINT64_C(0xbff8000000000000), "-1.5"},
	{"2.5", UINT64_C(0x4004000000000000), "2.5"},
	{"1e-3", UINT64_C(0x3f50624dd2f1a9fc), "0.001"},
	{"1e-4: last positional", UINT64_C(0x3f1a36e2eb1c432d), "0.0001"},
	{"1.5e-4", UINT64_C(0x3f23a92a30553261), "0.00015"},
	{"1e-5: first exponent", UINT64_C(0x3ee4f8b588e368f1), "1e-05"},
	{"-1e-5", UINT64_C(0xbee4f8b588e368f1), "-1e-05"},
	{"1.234e-5", UINT64_C(0x3ee9e0fcaf9380fc), "1.234e-05"},
	{"9.999e-5", UINT64_C(0x3f1a36371ea531a8), "9.999e-05"},
	{"1e14", UINT64_C(0x42d6bcc41e900000), "100000000000000.0"},
	{"1e15: positional", UINT64_C(0x430c6bf526340000), "1000000000000000.0"},
	{"9999999999999998", UINT64_C(0x4341c37937e07fff), "9999999999999998.0"},
	{"1e16: first exponent", UINT64_C(0x4341c37937e08000), "1e+16"},
	{"1.5e16", UINT64_C(0x434aa535d3d0c000), "1.5e+16"},
	{"1e17", UINT64_C(0x4376345785d8a000), "1e+17"},
	{"123456789012345680", UINT64_C(0x437b69b4ba630f35), "1.2345678901234568e+17"},
	{"2**53", UINT64_C(0x4340000000000000), "9007199254740992.0"},
	{"2**53+2", UINT64_C(0x4340000000000001), "9007199254740994.0"},
	{"1e22", UINT64_C(0x4480f0cf064dd592), "1e+22"},
	{"1e23", UINT64_C(0x44b52d02c7e14af6), "1e+23"},
	{"1e100", UINT64_C(0x54b249ad2594c37d), "1e+100"},
	{"1e-100", UINT64_C(0x2b2bff2ee48e0530), "1e-100"},
	{"largest", UINT64_C(0x7fefffffffffffff), "1.7976931348623157e+308"},
	{"smallest normal", UINT64_C(0x0010000000000000), "2.2250738585072014e-308"},
	{"largest subnormal", UINT64_C(0x000fffffffffffff), "2.225073858507201e-308"},
	{"smallest subnormal", UINT64_C(0x0000000000000001), "5e-324"},
	{"-smallest subnormal", UINT64_C(0x8000000000000001), "-5e-324"},
	{"subnormal 1e-310", UINT64_C(0x000012688b70e62b), "1e-310"},
	{"2**-1017 (neighbour digit)", UINT64_C(0x0060000000000000), "7.120236347223045e-307"},
	{"2**-1007 (neighbour digit)", UINT64_C(0x0100000000000000), "7.291122019556398e-304"},
	{"2**-957", UINT64_C(0x0420000000000000), "8.209073602596753e-289"},
	{"2**-808", UINT64_C(0x0d70000000000000), "5.858190679279809e-244"},
	{"1/3", UINT64_C(0x3fd5555555555555), "0.3333333333333333"},
	{"2/3", UINT64_C(0x3fe5555555555555), "0.6666666666666666"},
	{"pi", UINT64_C(0x400921fb54442d18), "3.141592653589793"},
	{"123.456", UINT64_C(0x405edd2f1a9fbe77), "123.456"},
	{"0.000123", UINT64_C(0x3f201f31f46ed246), "0.000123"},
	{"1e-7 (sample ratio)", UINT64_C(0x3e7ad7f29abcaf48), "1e-07"},
	{"-0.0001", UINT64_C(0xbf1a36e2eb1c432d), "-0.0001"},
	{"12345678.9", UINT64_C(0x41678c29dccccccd), "12345678.9"},
	{"1e21", UINT64_C(0x444b1ae4d6e2ef50), "1e+21"},
	{"5e-05", UINT64_C(0x3f0a36e2eb1c432d), "5e-05"},
	{"random 0", UINT64_C(0x1c80317fa3b1799d), "2.0951218323850843e-171"},
	{"random 1", UINT64_C(0xbdd640fb06671ad1), "-8.095896314512539e-11"},
	{"random 2", UINT64_C(0x3eb13b9046685257), "1.0271471865319853e-06"},
	{"random 3", UINT64_C(0x23b8c1e9392456de), "1.3305406583752764e-136"},
	{"random 4", UINT64_C(0x1a3d1fa7bc8960a9), "2.7416277501616697e-182"},
	{"random 5", UINT64_C(0xbd9c66b3ad3c2d6d), "-6.4576804899972755e-12"},
	{"random 6", UINT64_C(0x8b9d2434e465e150), "-9.936982866895821e-253"},
	{"random 7", UINT64_C(0x972a846916419f82), "-4.4342582195166703e-197"},
	{"random 8", UINT64_C(0x0822e8f36c031199), "1.7897179706846397e-269"},
	{"random 9", UINT64_C(0x17fc695a07a0ca6e), "3.8920410665109616e-193"},
	{"random 10", UINT64_C(0x3b8faa1837f8a88b), "8.3815053749933375e-22"},
	{"random 11", UINT64_C(0x9a1de644815ef6d1), "-7.0366560133932934e-183"},
	{"random 12", UINT64_C(0x8fadc1a606cb0fb3), "-3.74346981262903e-233"},
	{"random 13", UINT64_C(0xb74d0fb132e70629), "-2.6063073077576445e-42"},
	{"random 14", UINT64_C(0xb38a088ca65ed389), "-2.025077774461046e-60"},
	{"random 15", UINT64_C(0x6b65a6a48b8148f6), "2.2243541059934106e+209"},
	{"random 16", UINT64_C(0x72ff5d2a386ecbe0), "8.566174015121906e+245"},
	{"random 17", UINT64_C(0x4737819096da1dac), "1.2205071412701158e+35"},
	{"random 18", UINT64_C(0xde8a774bcf36d58b), "-2.6438463592029654e+147"},
	{"random 19", UINT64_C(0xc241330b01a9e71f), "-147741606739.80563"},
	{"random 20", UINT64_C(0x28df6ec4ce4a2bbd), "8.168892449408124e-112"},
	{"random 21", UINT64_C(0x6c307511b2b9437a), "1.3850822627547856e+213"},
	{"random 22", UINT64_C(0x47229389571aa876), "4.82268694405258e+34"},
	{"random 23", UINT64_C(0x371ecd7b27cd8130), "3.4530976632468286e-43"},
	{"random 24", UINT64_C(0xc37459eef50bea63), "-9.165411812000722e+16"},
	{"random 25", UINT64_C(0x1a2a73ed562b0f79), "1.245102053364068e-182"},
	{"random 26", UINT64_C(0x6142ea7d17be3111), "3.3242704709371837e+160"},
	{"random 27", UINT64_C(0x5be6128e18c26797), "5.013479291044358e+134"},
	{"random 28", UINT64_C(0x580d7b71d8f56413), "1.4520725756704513e+116"},
	{"random 29", UINT64_C(0x43b7a3a69a8dca03), "1.7033882668101804e+18"},
	{"random 30", UINT64_C(0x0b1f9163ce9ff57f), "4.2048429468447037e-255"},
	{"random 31", UINT64_C(0x759cde66bacfb3d0), "3.467722627586937e+258"},
	{"random 32", UINT64_C(0x1ff49b7889463e85), "9.606020282432862e-155"},
	{"random 33", UINT64_C(0xec1b8ca1f91e1d4c), "-5.796532266416865e+212"},
	{"random 34", UINT64_C(0x142c3fe860e7a113), "1.678285985249165e-211"},
	{"random 35", UINT64_C(0x4b0dbb418d5288f1), "3.559636223270555e+53"},
	{"random 36", UINT64_C(0xa0ee89aed453dd32), "-4.6645554400601785e-150"},
	{"random 37", UINT64_C(0xe2acf72f9e574f7a), "-2.135058088242266e+167"},
	{"random 38", UINT64_C(0x5c941cf0dc98d2c1), "9.356124026369747e+137"},
	{"random 39", UINT64_C(0x3139d32c93cd59bf), "1.4616374818865636e-71"},
	{"random 40", UINT64_C(0x11ce5dd2b45ed1f0), "6.563083173032833e-223"},
	{"random 41", UINT64_C(0xa9488d990bbb2599), "-8.167670639936238e-110"},
	{"random 42", UINT64_C(0xc5e7ce8a3a578a8e), "-5.894277366020282e+28"},
	{"random 43", UINT64_C(0xfc377a4c4a15544d), "-2.2879781783174108e+290"},
	{"random 44", UINT64_C(0xdaf61a26146d3f31), "-1.5320485900097169e+130"},
	{"random 45", UINT64_C(0xddd1dfb23b982ef8), "-8.718367338387145e+143"},
	{"random 46", UINT64_C(0x614ff3d719db3ad0), "5.615294812803369e+160"},
	{"random 47", UINT64_C(0x7412b29347294739), "1.3386940453763434e+251"},
	{"random 48", UINT64_C(0xd58842dea2bc372f), "-1.0867783350916245e+104"},
	{"random 49", UINT64_C(0x29a3b2e95d65a441), "4.193850584025333e-108"},
	{"random 50", UINT64_C(0x5af305535ec42e08), "1.3184601271006646e+130"},
	{"random 51", UINT64_C(0xab9099a435a240ae), "-7.589510292596495e-99"},
	{"random 52", UINT64_C(0xb3aa7efe4458a885), "-8.244271582479788e-60"},
	{"random 53", UINT64_C(0xaefcfad8efc89849), "-2.3868090177693467e-82"},
	{"random 54", UINT64_C(0x12476f57a5e5a5ab), "1.2966323984861066e-220"},
	{"random 55", UINT64_C(0xa28defe39bf00273), "-3.0687485613600386e-142"},
	{"random 56", UINT64_C(0x88bd64072bcfbe01), "-1.4242108461895417e-266"},
	{"random 57", UINT64_C(0x3eabedcbbaa80dd4), "8.323457810214681e-07"},
	{"random 58", UINT64_C(0x7656af7229d4beef), "1.1161471541231893e+262"},
	{"random 59", UINT64_C(0x451b4cf36123fdf7), "8.251096635205119e+24"},
	{"random 60", UINT64_C(0xece66fa2fd5166e6), "-3.8671756152934776e+216"},
	{"random 61", UINT64_C(0xb02b61c4a3d70628), "-1.1823738097582057e-76"},
	{"random 62", UINT64_C(0x3838b3268e944239), "7.258620922929537e-38"},
	{"random 63", UINT64_C(0x5304317faf42e12f), "8.226917945376994e+91"},
	{"random 64", UINT64_C(0xc4b032ccd7c524a5), "-7.649496141266471e+22"},
	{"random 65", UINT64_C(0x0e51f30dc6a7ee39), "1.07674805660699e-239"},
	{"random 66", UINT64_C(0xd261a7ab3aa2e4f9), "-7.024176083378e+88"},
	{"random 67", UINT64_C(0xce177b4e0837b8a3), "-1.582660714409593e+68"},
	{"random 68", UINT64_C(0x66b2bc5b50c187fc), "5.095054541992547e+186"},
	{"random 69", UINT64_C(0x10f1bc81448aaa9e), "4.679370861704191e-227"},
	{"random 70", UINT64_C(0xe9c349e03602f8ac), "-2.952890315556057e+201"},
	{"random 71", UINT64_C(0x9132b63ef16287e4), "-7.898799691876229e-226"},
	{"random 72", UINT64_C(0xb7c93acfe059a0ee), "-5.792462950956992e-40"},
	{"random 73", UINT64_C(0x366eb16f508ebad7), "1.6800859605326646e-46"},
	{"random 74", UINT64_C(0x7fcd9eb1a7cad415), "4.159959987622664e+307"},
	{"random 75", UINT64_C(0xe27a984d654821d0), "-2.4503972203962515e+166"},
	{"random 76", UINT64_C(0xa491f0b2ea1fca65), "-1.5796829239534463e-132"},
	{"random 77", UINT64_C(0x24933b83757750a9), "1.6934683536267014e-132"},
	{"random 78", UINT64_C(0x23bed01d43cf2fde), "1.6559804592749677e-136"},
	{"random 79", UINT64_C(0xbeb799193f22faf8), "-1.4065528799869823e-06"},
	{"random 80", UINT64_C(0x89fa6a688fb5d27b), "-1.3422246071941552e-260"},
	{"random 81", UINT64_C(0xbf3c4c06434308bc), "-0.00043177750491108966"},
	{"random 82", UINT64_C(0x6dadd6c795a76d79), "2.106642606929706e+220"},
	{"random 83", UINT64_C(0x956269f0e5d7b875), "-1.1470890870591953e-205"},
	{"random 84", UINT64_C(0x5cabcc97663f1c97), "2.5863071086748713e+138"},
	{"random 85", UINT64_C(0xff50bde4382567b8), "-1.836947844852446e+305"},
	{"random 86", UINT64_C(0x2369b584ff5e9ff0), "4.3177571040872257e-138"},
	{"random 87", UINT64_C(0x7e570ddf827050a8), "3.8598070117921536e+300"},
	{"random 88", UINT64_C(0xc17af08a1745d6d8), "-28248225.454550594"},
	{"random 89", UINT64_C(0xdc713d960c0fd195), "-2.0049783163468672e+137"},
	{"random 90", UINT64_C(0x27209bdf1c11f735), "3.2159693904950114e-120"},
	{"random 91", UINT64_C(0x28f49481a0a04dc4), "2.1393860326607225e-111"},
	{"random 92", UINT64_C(0xae340454cac5b68c), "-4.024931344241379e-86"},
	{"random 93", UINT64_C(0x98ae43346c12ace8), "-8.490197926236207e-190"},
	{"random 94", UINT64_C(0x62801c4510435a10), "2.968757472477321e+166"},
	{"random 95", UINT64_C(0x988c24c961b1cd22), "-1.9739398412995776e-190"},
	{"random 96", UINT64_C(0x77d21e02ff01cf99), "1.4955055043668465e+269"},
	{"random 97", UINT64_C(0x405cacec877409a9), "114.70193659145174"},
	{"random 98", UINT64_C(0x8da0365bf89897b9), "-4.748749207901759e-243"},
	{"random 99", UINT64_C(0xf143262fdc5c0eed), "-3.896695777943321e+237"},
	{"random 100", UINT64_C(0xae270da702f06b90), "-2.3177410540259095e-86"},
	{"random 101", UINT64_C(0x1d53434bb88139b9), "2.041660407621346e-167"},
	{"random 102", UINT64_C(0xe2817efdae849217), "-3.2240950631056824e+166"},
	{"random 103", UINT64_C(0xc03987108976e334), "-25.52759608414199"},
	{"random 104", UINT64_C(0xc4c2e2e3444ea7c8), "-1.7837587430587904e+23"},
	{"random 105", UINT64_C(0x5715bd6fa4161293), "3.2676659166754727e+111"},
	{"random 106", UINT64_C(0x4b22d3081c8eaee9), "9.01506905481487e+53"},
	{"random 107", UINT64_C(0x287d06ca6f4cc69a), "1.1786821722610887e-113"},
	{"random 108", UINT64_C(0x00d4af5974273ca3), "1.178254358525722e-304"},
	{"random 109", UINT64_C(0xb8db0672f42d47cc), "-8.132597761024621e-35"},
	{"random 110", UINT64_C(0xb83cfe0be037e5ed), "-8.520091409223985e-38"},
	{"random 111", UINT64_C(0xf8cda88b436d76e2), "-8.022198942692217e+273"},
	{"random 112", UINT64_C(0xc30ff46e8026695f), "-1124309963951403.9"},
	{"random 113", UINT64_C(0x81f76d1c2dbc2134), "-3.4980529044740066e-299"},
	{"random 114", UINT64_C(0x1b3dbd5ce9a1fa6f), "1.8347594589229645e-177"},
	{"random 115", UINT64_C(0xa013ac6ededa4e16), "-3.668304105460948e-154"},
	{"random 116", UINT64_C(0xd777a4774c66e0a8), "-2.274315864675084e+113"},
	{"random 117", UINT64_C(0x81f631d4a39231a7), "-3.314153628112636e-299"},
	{"random 118", UINT64_C(0x32ebd6899be578c7), "2.1147037486459785e-63"},
	{"random 119", UINT64_C(0x5fb8d16c2720797d), "1.29982709049588e+153"},
	{"random 120", UINT64_C(0x40ed40c333333333), "59910.1"},
	{"random 121", UINT64_C(0x40d24c4000000000), "18737.0"},
	{"random 122", UINT64_C(0x412c441800000000), "926220.0"},
	{"random 123", UINT64_C(0x40a4018a3d70a3d7), "2560.77"},
	{"random 124", UINT64_C(0x40d81a0000000000), "24680.0"},
	{"random 125", UINT64_C(0xc0bde5f851eb851f), "-7653.97"},
	{"random 126", UINT64_C(0x40c07610a3d70a3d), "8428.13"},
	{"random 127", UINT64_C(0xc11e62a400000000), "-497833.0"},
	{"random 128", UINT64_C(0xc0f1425b6db6db6e), "-70693.71428571429"},
	{"random 129", UINT64_C(0x412e165000000000), "985896.0"},
	{"random 130", UINT64_C(0xc110b0c555555555), "-273457.3333333333"},
	{"random 131", UINT64_C(0x40d2bec000000000), "19195.0"},
	{"random 132", UINT64_C(0x40f4c16000000000), "85014.0"},
	{"random 133", UINT64_C(0x40ed97e333333333), "60607.1"},
	{"random 134", UINT64_C(0xc10dbbeaaaaaaaab), "-243581.33333333334"},
	{"random 135", UINT64_C(0xc07d1db6db6db6db), "-465.85714285714283"},
	{"random 136", UINT64_C(0xc0b9890a3d70a3d7), "-6537.04"},
	{"random 137", UINT64_C(0x40cdbf2492492492), "15230.285714285714"},
	{"random 138", UINT64_C(0xc0c5fecccccccccd), "-11261.6"},
	{"random 139", UINT64_C(0x41008876db6db6db), "135438.85714285713"},
	{"random 140", UINT64_C(0x4107c25800000000), "194635.0"},
	{"random 141", UINT64_C(0x40e5d07666666666), "44675.7"},
	{"random 142", UINT64_C(0x40b3579eb851eb85), "4951.62"},
	{"random 143", UINT64_C(0xc0ea923555555555), "-54417.666666666664"},
	{"random 144", UINT64_C(0x40ac59dc28f5c28f), "3628.93"},
	{"random 145", UINT64_C(0xc0c6aab6db6db6db), "-11605.42857142857"},
	{"random 146", UINT64_C(0xc0e9f5a000000000), "-53165.0"},
	{"random 147", UINT64_C(0xc0e7715000000000), "-48010.5"},
	{"random 148", UINT64_C(0xc0c0e8a3d70a3d71), "-8657.28"},
	{"random 149", UINT64_C(0xc100ab5b6db6db6e), "-136555.42857142858"},
	{"random 150", UINT64_C(0x40cf92d99999999a), "16165.7"},
	{"random 151", UINT64_C(0x40d6db3333333333), "23404.8"},
	{"random 152", UINT64_C(0xc12e0eb000000000), "-984920.0"},
	{"random 153", UINT64_C(0x4103b65aaaaaaaab), "161483.33333333334"},
	{"random 154", UINT64_C(0xc0f56654cccccccd), "-87653.3"},
	{"random 155", UINT64_C(0xc12a343800000000), "-858652.0"},
	{"random 156", UINT64_C(0x40bf5bdc28f5c28f), "8027.86"},
	{"random 157", UINT64_C(0xc0fdb1cdb6db6db7), "-121628.85714285714"},
	{"random 158", UINT64_C(0xc0b390b0a3d70a3d), "-5008.69"},
	{"random 159", UINT64_C(0x40792f2b020c49ba), "402.948"},
};

static double
from_bits(uint64_t bits)
{
	double		x;

	memcpy(&x, &bits, sizeof(x));
	return x;
}

static void
test_float(void **state)
{
	const FloatCase *c = *state;
	char		buf[DE_PYFLOAT_BUFSIZE];
	size_t		len = de_format_pyfloat(from_bits(c->bits), buf);

	assert_string_equal(buf, c->python);
	assert_int_equal(len, strlen(c->python));
}

/* xorshift64*: reproducible bit patterns */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* Every finite double's text reads back as the same double, and fits. */
static void
test_round_trip(void **state)
{
	uint64_t	seed = UINT64_C(0x9E3779B97F4A7C15);

	(void) state;
	for (int i = 0; i < 200000; i++)
	{
		double		x = from_bits(next_random(&seed));
		char		buf[DE_PYFLOAT_BUFSIZE];

		if (isnan(x) || isinf(x))
			continue;
		de_format_pyfloat(x, buf);
		if (strtod(buf, NULL) != x)
			fail_msg("%.17g written as %s does not read back", x, buf);
		if (strlen(buf) >= DE_PYFLOAT_BUFSIZE)
			fail_msg("%s is too long", buf);
	}
}

int
main(void)
{
	static const FixedTest fixed[] = {
		{"random doubles read back", test_round_trip},
	};
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "repr", float_cases, test_float);
	CASE_FIXED(&list, "pyfloat", fixed);
	return case_list_run(&list, "pyfloat");
}
