# Plantillas en español para el corpus de demostración de polytrain. Escritas por los autores de polytrain, CC0.
# Villaverde es un pueblo imaginario.

@slot person name g
Lucía | f
Carlos | m
Elena | f
Javier | m
Carmen | f
Pablo | m
Isabel | f
Diego | m
Marta | f
Andrés | m
Sofía | f
Miguel | m
Laura | f
Raúl | m
Paula | f
Sergio | m
@alias friend person

@slot city
Lisboa
Roma
Viena
Praga
Buenos Aires
Lima
Quito
Bogotá
Sevilla
Valencia
Granada
Oporto

@slot fruit name g
manzanas | f
peras | f
naranjas | f
ciruelas | f
fresas | f
cerezas | f
uvas | f
melocotones | m
plátanos | m
albaricoques | m

@slot veg name g
zanahorias | f
patatas | f
cebollas | f
judías verdes | f
tomates | m
pimientos | m
pepinos | m
champiñones | m
calabacines | m

@slot dish
una sopa de verduras
un guiso de lentejas
una ensalada de patatas
una tarta de manzana
una paella de verduras
un arroz con pollo
una tortilla de patatas
una crema de calabaza
un bizcocho de limón
unos espaguetis con tomate

@slot subject art bare
las matemáticas | matemáticas
la historia | historia
la geografía | geografía
la biología | biología
la química | química
la música | música
el dibujo | dibujo
el inglés | inglés
la física | física
la lengua | lengua

@slot job m f
profesor | profesora
enfermero | enfermera
panadero | panadera
ingeniero | ingeniera
conductor de autobús | conductora de autobús
bibliotecario | bibliotecaria
carpintero | carpintera
contable | contable
jardinero | jardinera
médico | médica
cocinero | cocinera
cartero | cartera

@slot day
lunes
martes
miércoles
jueves
viernes
sábado
domingo

@slot month
enero
febrero
marzo
abril
mayo
junio
julio
agosto
septiembre
octubre
noviembre
diciembre

@slot pet
Coco
Canela
Bigotes
Luna
Chispa
Lucero

@topic weather
> El {day} por la mañana, el cielo sobre Villaverde estaba (gris|despejado|lleno de nubes oscuras|de un azul pálido) cuando {person} se despertó.
> Antes del desayuno, {person} miró por la ventana para ver qué tiempo hacía.
> En {month}, el tiempo en Villaverde es (difícil de predecir|a menudo sorprendente|bastante suave), dice {person}.
Llovió (casi toda la mañana|toda la noche|durante una hora), y las calles estaban (mojadas|llenas de charcos).
Un viento frío soplaba del norte (y sacudía los árboles|y hacía temblar las ventanas).
Según el pronóstico, la temperatura bajaría de cero durante la noche.
Hacia el mediodía salió el sol, y la gente (abrió las ventanas|salió a la calle|se sentó en el parque).
{person} cogió un paraguas porque las nubes parecían (oscuras|pesadas|amenazantes).
En verano los días son largos, y el aire sigue (caliente|pesado) incluso por la noche.
En invierno anochece pronto, y (la nieve cubre a menudo las colinas|a veces se hiela el lago|las carreteras suelen estar heladas).
(La primavera|El otoño) es la estación más agradable aquí, (porque no hace ni demasiado calor ni demasiado frío|porque la luz es suave).
En la radio dijeron que llegaría una tormenta (antes de medianoche|por la tarde|más tarde).
Los truenos (retumbaban|resonaban) en el valle, y (los perros se escondían debajo de la mesa|los niños contaban los segundos después de cada relámpago).
Después de la tormenta, el aire olía a (limpio|tierra mojada), y los (pájaros|niños) volvieron a salir.
Los agricultores (miran el cielo con atención|temen las heladas tardías|esperan una primavera suave), porque sus cosechas dependen del tiempo.
{person} dijo que la niebla era tan espesa que (no se veía el final de la calle|los autobuses llegaban tarde).
(Cuando hace buen tiempo|Los días de sol), a {person} le gusta (pasear junto al río|ir al trabajo en bicicleta|comer al aire libre).
Las estaciones meteorológicas miden (la temperatura|la lluvia|la velocidad del viento) cada hora.
Por la tarde dejó de (llover|nevar), y un sol (débil|brillante) apareció entre las nubes.
Por la noche volvió a hacer (frío|viento), y {person} (encendió la estufa|se preparó un té|cerró las cortinas).
{person} esperaba que (el día siguiente|el fin de semana) fuera (más seco|más soleado|más cálido).
(Los mayores|Algunos vecinos) dicen que antes los inviernos eran (más fríos|más largos|más duros).

@topic cooking
> El {day} pasado, {person} decidió preparar la cena para (toda la familia|unos amigos|sus abuelos).
> El {day} pasado, {person} pasó (toda la tarde|la noche) en la cocina.
> A {person} le encanta cocinar, sobre todo (los fines de semana|cuando vienen amigos|en invierno).
Quería preparar {dish}.
Primero lavó [veg:los|las] {veg} y [veg:los|las] cortó en (trozos pequeños|rodajas finas|dados).
Luego calentó un poco de aceite en una sartén (grande|pesada) y añadió (una cebolla|un poco de ajo|una pizca de sal).
La receta era de su (abuela|tía|antigua vecina).
Mientras hervía el agua, (puso la mesa|fregó los platos|escuchó la radio).
Probó la salsa y añadió (una pizca de pimienta|un poco más de sal|una cucharada de azúcar|hierbas frescas).
Pronto la cocina olía a (ajo y hierbas|pan recién hecho|mantequilla caliente).
De postre sirvió {fruit} con (nata|yogur|miel).
Todos dijeron que la comida estaba (deliciosa|muy buena|mejor que en un restaurante).
Cocinar a fuego lento (hace que la carne quede tierna|resalta el sabor).
El arroz necesita aproximadamente el doble de agua que su volumen.
La masa del pan tiene que reposar al menos una hora para que suba.
Casi se le olvidó apagar el horno, pero {friend} se dio cuenta a tiempo.
Después de cenar, {friend} [lo|la] ayudó a (fregar los platos|recoger la cocina).
Al día siguiente, comió las sobras a mediodía.
Apuntó la receta para volver a hacerla (la semana que viene|en invierno|para una fiesta).
Un buen cuchillo y una tabla de madera bastan en una cocina pequeña.
Las verduras de temporada saben mejor y suelen ser más baratas en el mercado.

@topic travel
> En {month}, {person} tomó el tren a {city} para visitar a {friend}.
> Hacía años que {person} soñaba con visitar {city}.
> El pasado {month}, {person} pasó (una semana|diez días|un fin de semana largo) en {city}.
Compró el billete (por internet|en la estación) (dos semanas|un mes|unos días) antes del viaje.
El tren salió (muy temprano|justo después del amanecer|a las siete y media), y el viaje duró (seis|unas cinco|casi ocho) horas.
Solo llevaba una bolsa pequeña con (algo de ropa|un libro|una cámara) y un mapa.
Por la ventana veía (campos, ríos y pueblos pequeños|montañas nevadas|largas playas grises).
En la estación, {friend} [lo|la] esperaba con (una gran sonrisa|un abrigo caliente|un coche pequeño).
{person} y {friend} (visitaron un museo|subieron al castillo|tomaron un café junto al río).
El hotel era pequeño (pero limpio|y tranquilo|y cerca del centro), y el personal era muy (amable|atento).
Probó la comida local y le gustó mucho (la sopa|el pescado fresco|el pan de la zona).
Por la noche, las calles estaban llenas de (música|gente|luces), y el aire era (templado|fresco).
Olvidó su (paraguas|teléfono|cuaderno) (en un café|en el autobús), pero un desconocido se lo devolvió.
Cada noche escribía unas líneas en un pequeño diario de viaje.
Compró (unas postales|un cuadro pequeño|una bufanda) para su (madre|hermana).
El último día llovió, así que pasaron la tarde (en una biblioteca|en el museo|en un café acogedor).
El viaje de vuelta fue (largo|lento|cansado), pero (durmió casi todo el camino|leyó una novela entera).
Prometió volver a {city} (el año que viene|en verano|con toda la familia).
Viajar en tren es más lento que volar, pero (es más relajante|se ve mejor el paisaje|consume menos energía).
De vuelta en Villaverde, enseñó las fotos a su familia.

@topic school
> El {day}, {person} llegó a la escuela (diez minutos antes|justo antes del timbre|tarde porque el autobús iba lento).
> {person} tiene (doce|trece|catorce|quince) años y va al instituto de Villaverde.
> Para {person}, el día de clase empezó el {day} (como siempre|más temprano que de costumbre).
La primera clase fue de {subject.bare}, y (la profesora|el profesor) (escribió una larga lista en la pizarra|empezó con un pequeño examen|hizo muchas preguntas).
Disfruta de las clases de {subject.bare} porque la profesora lo explica todo (con claridad|con paciencia|con ejemplos divertidos).
En el recreo (jugó al fútbol con sus amigos|se comió una manzana|habló con {friend} sobre el fin de semana).
{friend} se sienta a su lado y a menudo le ayuda con los ejercicios.
La clase preparaba un trabajo sobre (la historia del pueblo|el río y sus peces|la alimentación sana|los planetas).
Después de comer, los alumnos (fueron a la biblioteca|tuvieron clase de música|trabajaron en el huerto de la escuela).
Para el día siguiente tenían que (leer un capítulo|escribir una redacción corta|resolver diez problemas).
Los ejercicios le parecieron difíciles, pero (no se rindió|siguió intentándolo|pidió ayuda).
La escuela tiene (unos cuatrocientos alumnos|una pequeña biblioteca|un gran campo de deportes) y (veinte profesores|un huerto).
La profesora dijo que el examen sería (la semana que viene|a final de mes|dentro de dos semanas).
Por la tarde, los alumnos ensayaron una obra de teatro para la fiesta de la escuela.
Cuando sonó el timbre, todos (recogieron sus cosas|salieron corriendo|se despidieron).
Volvió a casa con {friend} hablando (del examen|de la profesora|de las vacaciones).
En casa, (hizo los deberes en la mesa de la cocina|leyó durante una hora antes de cenar).
Sus padres le preguntaron qué tal le había ido, y contestó que (bien|muy bien|regular).
Aprender un idioma lleva tiempo, pero (practicar a menudo|leer cada día|hablar con otras personas) ayuda mucho.

@topic work
> {person} trabaja como [{job.m}|{job.f}] en Villaverde.
> {person} es [{job.m}|{job.f}] desde hace (cinco|diez|casi veinte) años.
> (La primavera pasada|En {month}|Hace unos meses), {person} empezó un nuevo trabajo como [{job.m}|{job.f}].
Cada mañana se levanta a las (seis|seis y media|siete) y va al trabajo (en autobús|en bicicleta|andando).
Su jornada empieza a las (ocho|nueve) y termina (a media tarde|a las cinco|a las seis).
Comparte la oficina con (tres|dos|cuatro) compañeros (que son amables y serviciales|a los que les encanta hablar de fútbol).
(Por la mañana|Antes de comer), normalmente (contesta correos|planifica la semana|se reúne con el equipo).
El trabajo es (a veces agotador|a menudo intenso|pocas veces aburrido), pero (le gusta|se lleva bien con sus compañeros).
A mediodía come (un bocadillo|una ensalada|una sopa) (en el comedor|en su mesa|en el parque de al lado).
La semana pasada, su jefa le pidió que (dirigiera un nuevo proyecto|formara a dos compañeros nuevos|escribiera un informe).
El proyecto tiene que estar terminado (antes de fin de mes|el viernes|antes de las vacaciones de verano).
Está ahorrando (para un coche nuevo|para viajar|para comprarse una casa).
A veces tiene que quedarse hasta tarde, (sobre todo en diciembre|cuando hay una fecha límite|cuando un compañero está enfermo).
Los viernes, el equipo (suele tomar algo después del trabajo|tiene una reunión corta|come junto).
Piensa que un buen equipo (sabe escuchar|se comunica con claridad|reparte el trabajo de forma justa).
El año que viene le gustaría (hacer un curso|aprender algo nuevo|trabajar menos horas).
Después del trabajo (va al gimnasio|prepara la cena|lee el periódico|llama a sus padres).
Mucha gente del pueblo trabaja (en el hospital|en la fábrica|en pequeñas tiendas|en las granjas de los alrededores).

@topic market
> El {day} pasado, {person} fue al mercado de la plaza mayor de Villaverde.
> {person} fue al mercado temprano el {day} por la mañana.
> El {day}, {person} necesitaba (comida para toda la semana|fruta para una tarta|verduras para una sopa).
Los agricultores vienen de los pueblos (de los alrededores|del valle) para vender (verduras, huevos y queso|fruta y flores|miel y pan).
Compró (un kilo|dos kilos|una bolsa) de {fruit} y [veg:unos|unas] {veg}.
[fruit:Los|Las] {fruit} estaban (muy [fruit:frescos|frescas]|[fruit:baratos|baratas]|muy dulces) esta semana.
La vendedora (sonrió|se rio) y le regaló (un limón|un trozo de queso|una muestra).
En el puesto de al lado, un anciano vendía (queso|miel|pescado fresco|mermelada casera).
Preguntó de dónde venía (el queso|la miel|el pan).
El mercado estaba (lleno de gente|muy animado|tranquilo) (porque era sábado|a pesar de la lluvia|a esa hora de la mañana).
Pagó (en efectivo|con tarjeta) y lo metió todo en una bolsa de (tela|papel).
Este año los precios han subido porque el verano fue (muy seco|muy caluroso|demasiado lluvioso).
(Junto a la fuente|En la esquina), una joven vendía (flores|pan|café).
Junto al puesto de flores se encontró con {friend}, y charlaron un rato.
De camino a casa, pasó por la panadería para comprar (pan|un pastel|unas magdalenas).
Comprar en el mercado ayuda a los agricultores de la zona.
(En otoño|En verano), los puestos están llenos de (calabazas y manzanas|fresas y tomates).
A la una, los vendedores recogieron sus puestos, y la plaza volvió a quedarse vacía.

@topic family
> {person} vive con sus padres en una casa (pequeña|antigua|amarilla) cerca del río.
> {person} viene de una familia (grande|pequeña).
> A {person} le gusta hablar de su familia.
Tiene (dos hermanos|una hermana pequeña|un hermano mayor y una hermana|tres primos que viven cerca).
Su abuela vive (en la calle de al lado|en un pueblo cercano|al otro lado del pueblo) y viene a verlos (todos los domingos|a menudo).
Los domingos, toda la familia (come junta|sale a pasear|visita a los abuelos).
Su madre trabaja (en el hospital|en correos|como profesora), y su padre (es carpintero|trabaja en un banco|tiene una tienda pequeña).
Su hermano pequeño (está aprendiendo a tocar el piano|está aprendiendo a montar en bicicleta|dibuja animales muy bien).
Por la noche (juegan a las cartas|ven una película|se cuentan cómo les ha ido el día) en el salón.
Sus abuelos cuentan a menudo cómo era el pueblo hace cincuenta años.
El año pasado, la familia celebró (los ochenta años de la abuela|el aniversario de boda de los padres).
Detrás de la casa hay un jardín (pequeño|grande) donde cultivan (tomates|flores|hierbas aromáticas).
La familia tiene un perro que se llama {pet}.
En casa todos ayudan: (los niños friegan los platos|uno cocina y otro limpia|el padre hace la compra).
De [niño|niña], (estaba a menudo [enfermo|enferma]|le encantaba trepar a los árboles|quería ser piloto).
Llama a sus padres (cada semana|todas las noches|los domingos).
La familia siempre ha sido muy importante para [él|ella].
(El verano que viene|Este año), la familia piensa (ir a la playa|pintar la casa|visitar a unos parientes en el extranjero).

@topic science
> La profesora empezó la clase de ciencias con (algunos|unos cuantos) datos (sencillos|sorprendentes).
> {person} leyó (algunos|varios) datos curiosos en un libro de ciencias.
El agua hierve a cien grados Celsius al nivel del mar.
La Tierra da una vuelta alrededor del Sol cada año.
La Luna no produce luz propia, sino que refleja la luz del Sol.
Las plantas fabrican azúcar y oxígeno a partir de la luz, el agua y el dióxido de carbono.
El sonido viaja más rápido en el agua que en el aire.
La luz del Sol tarda unos ocho minutos en llegar a la Tierra.
En reposo, el corazón humano late unas setenta veces por minuto.
El hielo flota porque es menos denso que el agua líquida.
Las abejas llevan el polen de flor en flor y ayudan a las plantas a producir semillas.
Un año en Marte dura casi el doble que un año en la Tierra.
Los metales conducen bien el calor y la electricidad, pero la madera y el plástico no.
Los océanos cubren la mayor parte de la superficie de la Tierra.
Los terremotos se producen cuando grandes placas de roca se desplazan unas contra otras.
El agua salada se congela a una temperatura más baja que el agua dulce.
Las nubes se forman cuando el aire cálido y húmedo sube y se enfría.
Júpiter es el planeta más grande del sistema solar.
Algunas aves recorren miles de kilómetros cada año para pasar el invierno en lugares más cálidos.
Cada año, los árboles forman un nuevo anillo de madera, y así se puede calcular su edad.
El arcoíris aparece cuando la luz del sol atraviesa las gotas de lluvia.
Los imanes atraen el hierro, pero no el cobre ni el aluminio.
El cerebro consume aproximadamente la quinta parte de la energía del cuerpo.
Los peces respiran con branquias, que toman el oxígeno del agua.
El Sol es una estrella, la más cercana a nosotros.
El cuerpo humano está formado en gran parte por agua.

@topic history
> La historia de Villaverde es (larga|más antigua de lo que mucha gente cree|rica en sorpresas).
> Pocos visitantes conocen la historia de Villaverde.
> El museo del pueblo cuenta la historia de Villaverde (desde sus orígenes|con mucho detalle).
Villaverde fue fundada hace (más de|unos) (seiscientos|setecientos) años por campesinos, a orillas del río.
El pueblo debe su nombre a los campos verdes que lo rodean.
Durante siglos, la mayoría de la gente vivía de la agricultura y vendía lana en el mercado.
En el siglo quince se construyó un puente de piedra que todavía sigue en pie.
En 1742, un gran incendio destruyó (la mitad de las casas de madera|gran parte del casco antiguo).
Después del incendio, las casas se reconstruyeron en (piedra|piedra y ladrillo).
El ferrocarril llegó a Villaverde en 1868, y el pueblo (empezó a crecer rápidamente|cambió para siempre).
Cerca de la estación se abrió una fábrica textil que (daba trabajo a cientos de obreros|atrajo a muchas familias nuevas).
El antiguo ayuntamiento alberga hoy un pequeño museo de historia local.
En el museo se pueden ver (herramientas antiguas|fotos del viejo molino|una maqueta del pueblo en 1800|el primer coche de bomberos).
La escuela se construyó en 1901 (y todavía se usa|y se amplió en 1965).
Durante el largo invierno de 1929, el río se heló, y la gente patinaba de una orilla a otra.
La fábrica cerró en 1982, y mucha gente (tuvo que buscar otro trabajo|se marchó del pueblo).
Hoy Villaverde tiene unos doce mil habitantes.
Cada verano, el pueblo celebra su historia con (una fiesta|un desfile|música y baile) en la plaza mayor.
Los vecinos más mayores todavía recuerdan (la sirena de la fábrica|los trenes de vapor|el viejo cine).
El archivo municipal guarda (cartas|mapas|documentos) de hace varios siglos.

@topic cat
> Una noche (fría|lluviosa|tranquila), {person} se dio cuenta de que su gato {pet} no había vuelto a casa.
> {person} tiene un gato (gris|negro|atigrado) que se llama {pet} y al que le gusta pasear.
Llamó al gato en el jardín, pero nada se movió.
Buscó debajo de los coches, detrás del cobertizo y en el viejo granero.
{friend}, [friend:el vecino|la vecina] de al lado, vino con una linterna para ayudar.
Preguntaron a los vecinos, pero nadie había visto al gato.
Esa noche (no pudo dormir|dejó abierta la ventana de la cocina|puso un cuenco de leche junto a la puerta).
Por la mañana hizo unos carteles con una foto de {pet} y los colgó en los árboles.
Pasaron (dos|tres) días sin noticias.
Entonces sonó el teléfono: una señora había oído maullar a un gato (en su garaje|en su tejado).
{pet} tenía hambre y estaba (sucio|cansado), pero (sano y salvo|sin heridas), y ronroneaba muy fuerte.
Llevó al gato a casa y le dio (una buena cena|leche tibia|un trozo de pescado).
Desde ese día, {pet} (no se aleja mucho de casa|duerme todas las noches en su cama).

@topic garden
> En {month}, {person} empezó un pequeño huerto detrás de la casa.
> {person} siempre había querido cultivar sus propias verduras.
Primero (cavó la tierra|quitó las piedras|arrancó las malas hierbas).
Plantó {veg} en un bancal y flores en otro.
Cada tarde regaba las plantas con una regadera (verde|vieja|pesada).
Durante semanas no parecía pasar nada, y (empezó a preocuparse|perdió la paciencia).
Luego aparecieron unas hojitas verdes (una mañana|después de una lluvia suave).
Los caracoles se comieron algunas plantas jóvenes, así que (construyó una pequeña valla|le pidió consejo a {friend}).
En (julio|agosto), [veg:los|las] {veg} ya estaban [veg:maduros|maduras], y [veg:los|las] recogió (con orgullo|con cuidado).
Compartió la cosecha con (los vecinos|{friend}|sus abuelos).
El año que viene quiere plantar también (judías|calabazas|fresas).
Un huerto enseña a tener paciencia, porque las plantas crecen despacio.

@topic birthday
> El {day} pasado, {person} cumplió (diez|dieciocho|treinta|cuarenta) años.
> {person} estaba [nervioso|nerviosa] porque su fiesta de cumpleaños era (el fin de semana|el {day}).
Invitó a (diez|unos cuantos|doce) amigos y a (algunos primos|sus vecinos).
{friend} hizo una tarta (de chocolate|de limón|de fresa) (con velas|con nata).
Los invitados llegaron (por la tarde|hacia las seis|uno tras otro) con regalos y flores.
(Cantaron|Jugaron|Bailaron) en el jardín hasta que se hizo de noche.
Sus padres le regalaron (un libro|una bicicleta nueva|una bufanda|un cuadro).
Al final de la noche, dio las gracias a todos por haber venido.
Fue (el mejor cumpleaños de su vida|un día que nunca olvidaría).

@topic health
> Este año, {person} quiere llevar una vida más (sana|activa).
> Desde (enero|el otoño pasado), {person} (corre|nada) (dos veces por semana|todas las mañanas).
Corre (junto al río|por el parque|por el bosque) (antes de ir a trabajar|por la tarde).
Al principio le costaba, pero después de unas semanas se sentía (más fuerte|mucho mejor|con más energía).
Los médicos recomiendan (treinta minutos de ejercicio al día|un paseo corto después de las comidas).
Ahora come más (verdura|fruta|pescado) y menos (azúcar|sal|carne).
Beber suficiente agua es importante, sobre todo (en verano|al hacer deporte).
Dormir bien es tan importante como el ejercicio y una buena alimentación.
Se apuntó a un club de (fútbol|natación|atletismo), donde conoció a (nuevos amigos|{friend}).
El {day} hubo una (pequeña carrera|competición amistosa) en el parque, y lo hizo mejor de lo que esperaba.
Cuando se resfrió, se quedó en casa y (bebió té caliente|descansó unos días).
Dice que el deporte le ayuda a (relajarse|despejar la cabeza).

@topic hobby
> En su tiempo libre, a {person} le gusta (pintar|dibujar|hacer fotos|hacer cerámica).
> {person} tiene una afición que sorprende a mucha gente: (construye maquetas de barcos|colecciona mapas antiguos|cría abejas).
Empezó (de [niño|niña]|hace unos años|cuando se mudó a Villaverde).
Le dedica (casi todas las tardes|todos los domingos|unas horas a la semana).
Aprendió (con libros|con vídeos|con la ayuda de {friend}).
Al principio era (un poco torpe|bastante [lento|lenta]), pero fue mejorando (poco a poco|cada semana).
El año pasado presentó su trabajo en una pequeña exposición en la biblioteca.
Muchos visitantes hicieron preguntas, y algunos (querían comprar algo|le pidieron clases).
Piensa que una afición (da color a la vida|ayuda a olvidar las preocupaciones).
La biblioteca de Villaverde tiene (un club de lectura|un club de ajedrez|un coro) que se reúne cada {day}.
Leer antes de dormir es una costumbre a la que no renunciaría por nada.

@topic nature
> El {day} pasado, {person} dio un largo paseo por el bosque (grande|antiguo|tranquilo) que hay cerca de Villaverde.
> El {day}, {person} hizo una excursión por las colinas que rodean el pueblo.
El sendero (seguía el río|subía poco a poco|atravesaba prados llenos de flores).
Vio (un corzo|un zorro|dos liebres|una garza) (al borde del bosque|cerca del agua).
Los pájaros cantaban en los árboles, y el aire olía a (pino|hojas mojadas|flores silvestres).
El río está tan limpio que en él viven (truchas|nutrias|peces pequeños).
En otoño, las hojas se vuelven (rojas y doradas|amarillas y marrones), y salen setas bajo los árboles.
En lo alto de una colina se paró para (descansar|comer un bocadillo|contemplar el paisaje).
Cada primavera, un grupo de voluntarios planta árboles nuevos para proteger el suelo.
Los bosques almacenan carbono y son el hogar de muchos animales.
De vuelta, (cogió moras|cruzó un viejo puente de madera|se encontró con un pastor y sus perros).
Llegó a casa (justo antes de que anocheciera|con las botas llenas de barro|[cansado pero feliz|cansada pero feliz]).
